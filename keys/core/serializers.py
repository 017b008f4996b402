"""Shapes of the management API for signing secrets, client certificates and CAs. Never a secret, except once."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from keys.models import CertificateAuthority, ClientCertificate, Environment, SigningSecret

# Every credential's fields in the order the API shows them; a kind's own fields go around them
# (API keys put their roll fields between SETTINGS_FIELDS and REVOKED_FIELDS).
SETTINGS_FIELDS = (
    "name",
    "environment",
    "organization",
    "scopes",
    "status",
    "expires_at",
    "allowed_networks",
    "rate_limit",
    "metadata",
    "created_at",
    "created_by",
    "last_used_at",
    "last_used_ip",
)
REVOKED_FIELDS = ("revoked_at", "revoked_reason")
_CREDENTIAL_FIELDS = (*SETTINGS_FIELDS, *REVOKED_FIELDS)


# What every credential shows alike: its state as `status`, the team's slug, who created it.
# (A comment, not a docstring: drf-spectacular would show it on every kind without its own.)
class CredentialSerializer(serializers.ModelSerializer[Any]):
    status = serializers.CharField(source="state", read_only=True)
    organization: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.CharField(source="created_by_label", read_only=True)


class SigningSecretSerializer(CredentialSerializer):
    """A signing secret as the API shows it: its key id and settings, never the secret."""

    key_id = serializers.CharField(read_only=True)
    api_key = serializers.CharField(source="api_key_id", read_only=True, allow_null=True)

    class Meta:
        model = SigningSecret
        fields = (
            "id",
            "key_id",
            *_CREDENTIAL_FIELDS,
            "api_key",
            "secret_version",
            "rotated_at",
            "previous_valid_until",
        )
        read_only_fields = fields


def created_serializer(name: str, base: Any, field: str, help_text: str) -> Any:
    """`base` plus the one-time secret as `field` (first), read from `context["plaintext"]`: the create answer.

    Named `name` (the OpenAPI component is `name` without "Serializer"), a subclass of `base`.
    """

    def get_plaintext(self: Any, obj: Any) -> str:
        return str(self.context["plaintext"])

    fields = (field, *base.Meta.fields)
    meta = type("Meta", (base.Meta,), {"fields": fields, "read_only_fields": fields})
    attrs = {
        field: serializers.SerializerMethodField(method_name="get_plaintext", help_text=help_text),
        "get_plaintext": get_plaintext,
        "Meta": meta,
        "__module__": base.__module__,
        "__qualname__": name,
    }
    return type(name, (base,), attrs)


CreatedSigningSecretSerializer = created_serializer(
    "CreatedSigningSecretSerializer",
    SigningSecretSerializer,
    "secret",
    "The secret. Shown only in this response; store it now.",
)


# What creating any kind of credential takes; the kinds add their own fields. No docstring on
# purpose: drf-spectacular would show it as every create body's description.
class CredentialInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.LIVE)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    allowed_networks = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=50
    )
    rate_limit = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    metadata = serializers.DictField(required=False, default=dict)


class SigningSecretCreateSerializer(CredentialInput):
    api_key = serializers.CharField(
        max_length=8,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="Bind the secret to one API key (its id): it then signs only requests carrying that key.",
    )


class SigningSecretRotateSerializer(serializers.Serializer[Any]):
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=30 * 24 * 3600,
        default=0,
        help_text="How long the previous secret keeps verifying (0 = stop now).",
    )


class SigningSecretRotateResultSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="The new secret, shown only in this response.")
    signing_secret = SigningSecretSerializer()


class CertificateAuthoritySerializer(CredentialSerializer):
    sha256_fingerprint = serializers.CharField(read_only=True)

    class Meta:
        model = CertificateAuthority
        fields = (
            "id",
            "name",
            "organization",
            "status",
            "subject",
            "issuer",
            "serial",
            "thumbprint",
            "sha256_fingerprint",
            "not_before",
            "not_after",
            "expires_at",
            "created_at",
            "created_by",
            "revoked_at",
            "revoked_reason",
            "certificate_pem",
        )
        read_only_fields = fields


class CertificateAuthorityCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    certificate = serializers.CharField(max_length=16 * 1024, trim_whitespace=False, help_text="The CA's PEM.")


class ClientCertificateSerializer(CredentialSerializer):
    """A client identity: a pinned certificate, or a subject/SAN under a registered CA."""

    display_id = serializers.CharField(read_only=True)
    authority = serializers.CharField(source="authority_id", read_only=True, allow_null=True)
    thumbprint = serializers.CharField(read_only=True, help_text="x5t#S256 (base64url SHA-256 of the DER).")
    sha256_fingerprint = serializers.CharField(read_only=True)

    class Meta:
        model = ClientCertificate
        fields = (
            "id",
            "display_id",
            *_CREDENTIAL_FIELDS,
            "match_type",
            "match_value",
            "authority",
            "thumbprint",
            "sha256_fingerprint",
            "subject",
            "issuer",
            "serial",
            "sans",
            "not_before",
            "not_after",
        )
        read_only_fields = fields


def _optional_text(max_length: int, help_text: str, **options: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text, **options
    )


class ClientCertificateCreateSerializer(CredentialInput):
    certificate = _optional_text(
        16 * 1024, "A PEM certificate to pin (matched by its thumbprint).", trim_whitespace=False
    )
    authority = _optional_text(12, "Or: the id of one of your CAs…")
    match_subject = _optional_text(450, "…and the subject its certificates carry")
    match_san = _optional_text(460, "…or a SAN (dns:…, uri:…, email:…, ip:…)")
