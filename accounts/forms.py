"""Portal forms for accounts and teams."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import Role, User
from accounts.services import password_reset_allowed, password_reset_queue, sudo_confirm, sudo_is_active
from audit.services import client_ip


class NameField(forms.CharField):
    """A name with a length limit that the server enforces with a clear message. No `maxlength` attribute:
    the browser would cut a pasted name short without a word."""

    def __init__(self, *, max_length: int = 100, **kwargs: Any) -> None:
        messages = {"max_length": "Names are at most %(limit_value)d characters; this one has %(show_value)d."}
        super().__init__(max_length=max_length, error_messages=messages, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email already exists. Log in or reset your password.")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class ThrottledPasswordResetForm(PasswordResetForm):
    """Password reset that answers the same whether or not the address exists, at most N times an hour."""

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not password_reset_allowed(ip=client_ip(self.request), email=email):
            raise ValidationError("Too many reset requests. Try again in an hour.")
        return email

    def send_mail(  # type: ignore[override]
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Queue the email in the outbox (sent once, retried) instead of sending it inline; the outbox
        makes the link when it sends, so the token is never stored."""
        password_reset_queue(user=context["user"], domain=context["domain"], protocol=context["protocol"])


class PasswordConfirmMixin(forms.Form):
    """Adds a password field when sudo mode is not active; the view calls `confirm_sudo()` on submit."""

    password = forms.CharField(
        required=False,
        strip=False,
        label="Confirm your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.needs_sudo = not sudo_is_active(request)
        if not self.needs_sudo:
            del self.fields["password"]

    def sudo_required(self) -> bool:
        """Whether this submission changes something that needs a fresh password (override per form)."""
        return True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        confirmed = lambda: bool(data.get("password")) and sudo_confirm(request=self.request, password=data["password"])  # noqa: E731
        if self.needs_sudo and self.sudo_required() and not self.errors and not confirmed():
            self.add_error("password", "Confirm your password to change live credentials.")
        return data


class SudoForm(forms.Form):
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True})
    )


class OrganizationForm(forms.Form):
    name = NameField()


class OrganizationSettingsForm(forms.Form):
    name = NameField()
    max_key_lifetime_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Maximum key lifetime (days)",
        help_text="Leave empty for no limit. New keys must expire within this many days.",
    )
    max_key_age_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Maximum key age (days)",
        help_text="Leave empty for none. Keys older than this are rolled automatically; the new key is sealed "
        "until someone reveals it on its page.",
    )
    require_live_key_expiry = forms.BooleanField(
        required=False,
        label="Live keys must have an expiry",
        help_text="New live keys (and changed expiries) need an expiry date.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
