"""Portal forms for webhooks. They collect input; the services decide what is allowed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.forms import PasswordConfirmMixin
from webhooks import catalogue

GRACE_CHOICES = (
    ("0", "Stop the old secret now"),
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("604800", "7 days"),
)


class EndpointFields(forms.Form):
    url = forms.CharField(
        max_length=2000,
        label="Endpoint URL",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/keyhouse", "spellcheck": "false"}),
    )
    description = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. Ops alerts"})
    )
    all_events = forms.BooleanField(required=False, label="Send every event type, including ones added later")
    event_types = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [(name, name) for name in catalogue.names()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_events"):
            data["event_types"] = []
        elif not data.get("event_types") and "event_types" not in self.errors:
            self.add_error("event_types", "Choose at least one event type, or send every event type.")
        return data

    @property
    def selected_event_types(self) -> list[str]:
        value = self["event_types"].value() or []
        return [str(v) for v in value]

    @property
    def event_groups(self) -> list[tuple[str, list[catalogue.EventType]]]:
        return catalogue.grouped()


class EndpointCreateForm(EndpointFields, PasswordConfirmMixin):
    """A new endpoint comes with a new secret, so it asks for the password unless sudo mode is on."""


class EndpointEditForm(EndpointFields):
    pass


class SecretRevealForm(PasswordConfirmMixin):
    pass


class SecretRotateForm(PasswordConfirmMixin):
    grace = forms.ChoiceField(choices=GRACE_CHOICES, initial="86400", label="Keep signing with the old secret for")

    def grace_period(self) -> timedelta:
        return timedelta(seconds=int(self.cleaned_data["grace"]))


class RecoverForm(forms.Form):
    since = forms.DateTimeField(
        label="Failed since (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"since": (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
