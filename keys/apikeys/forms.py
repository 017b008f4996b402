"""Portal forms for API keys. They collect input; the services decide what is allowed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms import NameField, PasswordConfirmMixin
from keys import scopes as scope_registry
from keys.core.validation import clean_networks
from keys.models import Environment

EXPIRY_PRESETS = (
    ("never", "Never"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
    ("custom", "Custom date"),
)
GRACE_CHOICES = (
    ("0", "Immediately"),
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("604800", "7 days"),
)


def scope_grid_fields() -> dict[str, forms.Field]:
    """One None/level radio per resource, plus a checkbox per extra scope: the Stripe-style grid."""
    fields: dict[str, forms.Field] = {}
    for res in scope_registry.resources():
        choices = [("", "None")] + [(level, level.capitalize()) for level in res.levels]
        fields[f"scope__{res.name}"] = forms.ChoiceField(
            choices=choices, required=False, widget=forms.RadioSelect, label=res.label
        )
        for extra in res.extras:
            fields[f"scope__{res.name}__{extra}"] = forms.BooleanField(
                required=False, label=res.descriptions.get(extra, extra.capitalize())
            )
    return fields


def scopes_from_grid(data: dict[str, Any]) -> list[str]:
    chosen: list[str] = []
    for res in scope_registry.resources():
        level = data.get(f"scope__{res.name}")
        if level:
            chosen.append(res.scope(level))
        for extra in res.extras:
            if data.get(f"scope__{res.name}__{extra}"):
                chosen.append(res.scope(extra))
    return chosen


def grid_initial(scopes: list[str]) -> dict[str, Any]:
    granted = scope_registry.expand(scopes)
    initial: dict[str, Any] = {}
    for res in scope_registry.resources():
        for level in res.levels:
            if res.scope(level) in granted:
                initial[f"scope__{res.name}"] = level
        for extra in res.extras:
            initial[f"scope__{res.name}__{extra}"] = res.scope(extra) in granted
    return initial


class NetworkField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "203.0.113.0/24\n2001:db8::/32"})

    def validate(self, value: Any) -> None:
        """Check every line here too, so bad networks show up with the form's other errors at once."""
        super().validate(value)
        try:
            clean_networks(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["allowed_networks"]) from None


class KeyCreateForm(PasswordConfirmMixin):
    name = NameField(widget=forms.TextInput(attrs={"placeholder": "e.g. Billing service (production)"}))
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.TEST, widget=forms.RadioSelect)
    expiry = forms.ChoiceField(choices=EXPIRY_PRESETS, initial="90d", label="Expires")
    expires_on = forms.DateTimeField(
        required=False,
        label="Custom expiry (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    allowed_networks = NetworkField(
        required=False, label="Allowed networks", help_text="One CIDR block per line. Empty allows any address."
    )
    rate_limit = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, label="Rate limit (requests per minute)"
    )

    field_order = ("name", "environment")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(scope_grid_fields())

    def sudo_required(self) -> bool:
        return self.cleaned_data.get("environment") == Environment.LIVE

    def expires_at(self) -> Any:
        preset = self.cleaned_data.get("expiry")
        if preset == "never":
            return None
        if preset == "custom":
            return self.cleaned_data.get("expires_on")
        return timezone.now() + timedelta(days=int(str(preset).rstrip("d")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("expiry") == "custom" and not data.get("expires_on"):
            self.add_error("expires_on", "Pick the expiry date and time.")
        if not scopes_from_grid(data):
            self.add_error(None, "Choose at least one permission in the scope grid.")
        return data

    @property
    def scope_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("scope__")]


class KeyEditForm(PasswordConfirmMixin):
    """Edits what every credential kind shares: name, scopes (narrowing), networks, rate limit, expiry.

    Live credentials need sudo mode, as every change to a live credential does (keys.core.authorization).
    """

    name = NameField()
    allowed_networks = NetworkField(required=False, label="Allowed networks", help_text="One CIDR block per line.")
    rate_limit = forms.IntegerField(
        required=False, min_value=1, max_value=1_000_000, label="Rate limit (requests per minute)"
    )
    expires_on = forms.DateTimeField(
        required=False,
        label="Expires (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for no expiry (if your team allows it).",
    )

    def __init__(self, *args: Any, live: bool, **kwargs: Any) -> None:
        self.live = live
        super().__init__(*args, **kwargs)
        self.fields.update(scope_grid_fields())

    def sudo_required(self) -> bool:
        return self.live

    @classmethod
    def for_credential(cls, credential: Any, data: Any = None, *, request: Any) -> KeyEditForm:
        """The form filled with the credential's current values."""
        initial = {
            "name": credential.name,
            "allowed_networks": "\n".join(credential.allowed_networks),
            "rate_limit": credential.rate_limit,
            # The browser submits minutes only; seconds here would make every save look like an expiry change.
            "expires_on": credential.expires_at.replace(second=0, microsecond=0) if credential.expires_at else None,
            **grid_initial(credential.scopes),
        }
        return cls(data, initial=initial, request=request, live=credential.environment == Environment.LIVE)

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for the kind's `*_update` service; expiry only when it was edited."""
        changes: dict[str, Any] = {
            "name": self.cleaned_data["name"],
            "scopes": scopes_from_grid(self.cleaned_data),
            "allowed_networks": self.cleaned_data["allowed_networks"],
            "rate_limit": self.cleaned_data["rate_limit"],
        }
        if "expires_on" in self.changed_data:
            changes["expires_at"] = self.cleaned_data["expires_on"]
        return changes

    @property
    def scope_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("scope__")]


class KeyStatusForm(PasswordConfirmMixin):
    """A change to one credential: it asks for sudo (the password) when the credential is `live`."""

    def __init__(self, *args: Any, live: bool, **kwargs: Any) -> None:
        self.live = live
        super().__init__(*args, **kwargs)

    def sudo_required(self) -> bool:
        return self.live


class KeyRollForm(KeyStatusForm):
    grace = forms.ChoiceField(choices=GRACE_CHOICES, initial="86400", label="Keep the old key working for")


class KeyRevokeForm(KeyStatusForm):
    reason = forms.CharField(max_length=200, required=False, label="Reason (kept in the audit log)")


ROTATION_GRACE_CHOICES = (
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("259200", "3 days"),
    ("604800", "7 days"),
    ("1209600", "14 days"),
    ("2592000", "30 days"),
)
# Only where KEYS_ROTATION_ALLOW_MINUTES is on (development), so a rotation can be watched happening.
SHORT_ROTATION_GRACE_CHOICES = (("60", "1 minute"), ("180", "3 minutes"), ("600", "10 minutes"))


class RotationPolicyForm(PasswordConfirmMixin):
    """Rotate every N days (or minutes, in development) with a grace period. Live keys need sudo."""

    every = forms.IntegerField(min_value=1, max_value=3650, initial=90, label="Rotate every")
    unit = forms.ChoiceField(choices=(("days", "days"),), initial="days", label="Unit")
    grace = forms.TypedChoiceField(
        choices=ROTATION_GRACE_CHOICES, coerce=int, initial="604800", label="Old key keeps working for"
    )

    def __init__(self, *args: Any, live: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live = live
        if settings.KEYS_ROTATION_ALLOW_MINUTES:
            self.fields["unit"].choices = [("days", "days"), ("minutes", "minutes")]  # type: ignore[attr-defined]
            self.fields["grace"].choices = [*SHORT_ROTATION_GRACE_CHOICES, *ROTATION_GRACE_CHOICES]  # type: ignore[attr-defined]

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
