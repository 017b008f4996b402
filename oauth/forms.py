"""Portal forms for OAuth apps. They collect input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import NameField, PasswordConfirmMixin
from keys.apikeys.forms import GRACE_CHOICES, scope_grid_fields
from oauth.models import Application
from oauth.validation import GRANT_NAMES

CLIENT_TYPES = (
    (Application.CLIENT_CONFIDENTIAL, "Confidential"),
    (Application.CLIENT_PUBLIC, "Public"),
)
GRANT_HELP = {
    Application.GRANT_AUTHORIZATION_CODE: "People sign in and approve the app (web, SPA, mobile). PKCE S256 is required.",
    Application.GRANT_CLIENT_CREDENTIALS: "The app calls the API as itself, for your team. Confidential apps only.",
    Application.GRANT_DEVICE_CODE: "For TVs, CLIs and devices without a browser: people approve a code on another screen.",
}


class _AppFields(forms.Form):
    name = NameField(widget=forms.TextInput(attrs={"placeholder": "e.g. Acme dashboard"}))
    grant_types = forms.MultipleChoiceField(
        choices=list(GRANT_NAMES.items()), widget=forms.CheckboxSelectMultiple, label="Grant types"
    )
    redirect_uris = forms.CharField(
        required=False,
        label="Redirect URIs",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "https://app.example.com/callback\nhttp://127.0.0.1/callback"}
        ),
        help_text="One per line, matched exactly. https, or http for localhost and loopback (any port). "
        "No wildcards, no #fragments.",
    )
    homepage_url = forms.CharField(
        required=False, max_length=500, label="Homepage URL", widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
    logo_url = forms.CharField(
        required=False,
        max_length=500,
        label="Logo URL",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text="Shown on the consent screen. https only.",
    )
    tls_client_certificate_bound_access_tokens = forms.BooleanField(
        required=False,
        label="Require certificate-bound tokens (mTLS)",
        help_text="Token requests must come over mutual TLS with a client certificate, and every token works "
        "only with that certificate (RFC 8705). Requests without one are refused.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(scope_grid_fields())

    @property
    def scope_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("scope__")]

    def grant_help(self) -> list[tuple[Any, str]]:
        return [(option, GRANT_HELP.get(option.data["value"], "")) for option in self["grant_types"]]


class AppCreateForm(PasswordConfirmMixin, _AppFields):
    client_type = forms.ChoiceField(
        choices=CLIENT_TYPES, initial=Application.CLIENT_CONFIDENTIAL, widget=forms.RadioSelect, label="Client type"
    )

    field_order = ("name", "client_type", "grant_types", "redirect_uris")

    def sudo_required(self) -> bool:
        # A confidential app gets a secret, which is a live credential.
        return self.cleaned_data.get("client_type") == Application.CLIENT_CONFIDENTIAL


class AppEditForm(_AppFields):
    pass


class SecretRotateForm(PasswordConfirmMixin):
    grace = forms.ChoiceField(choices=GRACE_CHOICES, initial="86400", label="Keep the old secret working for")


class AppDeleteForm(PasswordConfirmMixin):
    pass


class DeviceCodeForm(forms.Form):
    user_code = forms.CharField(
        max_length=20,
        label="Code",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-EFGH",
            }
        ),
    )

    def clean_user_code(self) -> str:
        # People type codes with spaces, dashes and lower case; DOT stores 8 upper-case characters.
        return "".join(ch for ch in self.cleaned_data["user_code"].upper() if ch.isalnum())
