"""Portal forms for accounts and teams."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts import lockout
from accounts.models import LeakPolicy, Role, User
from accounts.services import password_reset_allowed, password_reset_queue, sudo_confirm, sudo_is_active
from audit.services import client_ip


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def clean_email(self) -> str:
        # Never say here whether the address has an account: accounts.services.signup_request answers alike.
        return str(self.cleaned_data["email"]).strip().lower()

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
    """Log in by email, under the lockout policy of accounts.lockout (axes adds the per-address locks)."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        ip = client_ip(self.request) if self.request is not None else None
        if email and lockout.account_locked(email, ip):
            raise ValidationError(lockout.ACCOUNT_LOCKED_MESSAGE, code="account_locked")
        try:
            data = super().clean()
        except ValidationError as exc:
            if email and exc.code == "invalid_login":
                lockout.failure_record(email)
            raise
        if email:
            lockout.success_record(email, ip)
        return data


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
    name = forms.CharField(max_length=100)


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    leak_policy = forms.ChoiceField(
        choices=LeakPolicy.choices,
        initial=LeakPolicy.REVOKE,
        required=False,  # left out (an older form, a script): the policy stays as it is
        widget=forms.RadioSelect,
        label="When a secret scanner finds one of our keys in public",
        help_text="GitHub secret scanning and GitLab secret detection report keys found in public code. "
        "Every choice emails the key's creator and the team's admins and raises an alert with where it was found.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
