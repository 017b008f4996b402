"""Portal forms for scheduled rotation and the one-time reveal of a sealed successor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings

from accounts.forms import PasswordConfirmMixin

GRACE_CHOICES = (
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("259200", "3 days"),
    ("604800", "7 days"),
    ("1209600", "14 days"),
    ("2592000", "30 days"),
)
# Only where KEYS_ROTATION_ALLOW_MINUTES is on (development), so a rotation can be watched happening.
SHORT_GRACE_CHOICES = (("60", "1 minute"), ("180", "3 minutes"), ("600", "10 minutes"))


class RotationPolicyForm(PasswordConfirmMixin):
    """Rotate every N days (or minutes, in development) with a grace period. Live keys need sudo."""

    every = forms.IntegerField(min_value=1, max_value=3650, initial=90, label="Rotate every")
    unit = forms.ChoiceField(choices=(("days", "days"),), initial="days", label="Unit")
    grace = forms.TypedChoiceField(
        choices=GRACE_CHOICES, coerce=int, initial="604800", label="Old key keeps working for"
    )

    def __init__(self, *args: Any, live: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live = live
        if settings.KEYS_ROTATION_ALLOW_MINUTES:
            self.fields["unit"].choices = [("days", "days"), ("minutes", "minutes")]  # type: ignore[attr-defined]
            self.fields["grace"].choices = [*SHORT_GRACE_CHOICES, *GRACE_CHOICES]  # type: ignore[attr-defined]

    def sudo_required(self) -> bool:
        return self.live

    def interval(self) -> timedelta:
        every = self.cleaned_data["every"]
        return timedelta(minutes=every) if self.cleaned_data["unit"] == "minutes" else timedelta(days=every)

    def grace_period(self) -> timedelta:
        return timedelta(seconds=int(self.cleaned_data["grace"]))


class RotationActionForm(PasswordConfirmMixin):
    """Confirms "Rotate now" and "Stop rotating" (sudo for live keys)."""

    def __init__(self, *args: Any, live: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live = live

    def sudo_required(self) -> bool:
        return self.live


class SealedRevealForm(PasswordConfirmMixin):
    """Revealing a secret always asks for a fresh password (sudo mode), for test keys too."""

    live = True
