"""Portal forms for signing secrets, client certificates and CAs. They collect input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.forms import NameField, PasswordConfirmMixin
from keys.apikeys.forms import EXPIRY_PRESETS, GRACE_CHOICES, KeyCreateForm, KeyRollForm
from keys.certificates.x509 import MAX_PEM_BYTES
from keys.models import APIKey, CertificateAuthority

PEM_PLACEHOLDER = "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----"


class APIKeyChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.display_prefix}…)"


class SigningSecretCreateForm(KeyCreateForm):
    """The API-key form (name, environment, scope grid, expiry, networks, limit), plus an optional key binding."""

    api_key = APIKeyChoiceField(
        queryset=APIKey.objects.none(),
        required=False,
        label="Only with this API key",
        empty_label="Any (the secret is the credential)",
        help_text="API key + HMAC: a bound secret signs only requests that also carry this key.",
    )

    def __init__(self, *args: Any, keys: QuerySet[APIKey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["api_key"].queryset = keys  # type: ignore[attr-defined]


class SigningSecretRotateForm(KeyRollForm):
    grace = forms.ChoiceField(choices=GRACE_CHOICES, initial="86400", label="Keep the current secret working for")


class PemField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "placeholder": PEM_PLACEHOLDER, "spellcheck": "false"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_PEM_BYTES)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


def _pem_from(
    cleaned: dict[str, Any], form: forms.Form, *, text: str = "certificate", upload: str = "certificate_file"
) -> str:
    """The PEM pasted, or read from the uploaded file (at most 16 KB)."""
    uploaded = cleaned.get(upload)
    if uploaded:
        if uploaded.size > MAX_PEM_BYTES:
            form.add_error(upload, "That file is too large to be one certificate.")
            return ""
        return uploaded.read().decode("utf-8", "replace")  # type: ignore[no-any-return]
    return str(cleaned.get(text) or "")


CERT_EXPIRY_PRESETS = (("never", "When the certificate expires"), *EXPIRY_PRESETS[1:])
METHOD_CHOICES = (("pin", "Pin this certificate"), ("ca", "Any certificate my CA issues with a given name"))
MATCH_CHOICES = (("san", "Subject alternative name"), ("subject", "Subject"))


class ClientCertificateCreateForm(KeyCreateForm):
    """Register an mTLS identity: pin an uploaded certificate, or name the subject/SAN a registered CA issues."""

    expiry = forms.ChoiceField(choices=CERT_EXPIRY_PRESETS, initial="never", label="Expires")
    method = forms.ChoiceField(choices=METHOD_CHOICES, initial="pin", label="Which certificates")
    certificate = PemField(required=False, label="Certificate (PEM)", help_text="The public certificate only.")
    certificate_file = forms.FileField(required=False, label="…or upload the .pem / .crt file")
    authority = forms.ModelChoiceField(
        queryset=CertificateAuthority.objects.none(), required=False, label="Issued by", empty_label=None
    )
    match_type = forms.ChoiceField(choices=MATCH_CHOICES, initial="san", label="Match on", required=False)
    match_value = forms.CharField(
        max_length=460,
        required=False,
        label="Name",
        widget=forms.TextInput(attrs={"placeholder": "dns:billing.example.com  or  CN=billing,O=Example"}),
        help_text="A SAN is written dns:…, uri:…, email:… or ip:…; a subject in RFC 4514 form.",
    )

    field_order = ("name", "environment", "method")  # type: ignore[assignment]

    def __init__(self, *args: Any, authorities: QuerySet[CertificateAuthority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities  # type: ignore[attr-defined]
        if not authorities.exists():
            self.fields["method"].choices = METHOD_CHOICES[:1]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == "ca":
            if not data.get("authority"):
                self.add_error("authority", "Register a certificate authority first, then choose it here.")
            if not (data.get("match_value") or "").strip():
                self.add_error("match_value", "Give the subject or SAN the certificates carry.")
        else:
            data["pem"] = _pem_from(data, self)
            if not data["pem"].strip() and not self.errors.get("certificate_file"):
                self.add_error("certificate", "Paste the certificate or upload its file.")
        return data

    def registration(self) -> dict[str, Any]:
        """The service arguments that say which certificates this identity accepts."""
        data = self.cleaned_data
        if data.get("method") == "ca":
            key = "match_subject" if data.get("match_type") == "subject" else "match_san"
            return {"authority": data["authority"], key: data["match_value"]}
        return {"certificate_pem": data["pem"]}


class CertificateAuthorityForm(PasswordConfirmMixin):
    """Register a CA; always behind a fresh password, since its certificates can act for live identities."""

    name = NameField(widget=forms.TextInput(attrs={"placeholder": "e.g. Acme internal CA"}))
    certificate = PemField(required=False, label="CA certificate (PEM)")
    certificate_file = forms.FileField(required=False, label="…or upload the .pem / .crt file")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["pem"] = _pem_from(data, self)
        if not data["pem"].strip() and not self.errors.get("certificate_file"):
            self.add_error("certificate", "Paste the CA certificate or upload its file.")
        return data
