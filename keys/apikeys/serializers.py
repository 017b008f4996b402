"""Shapes of the management and verification API. Rules live in the services, not here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from keys.core.serializers import (
    REVOKED_FIELDS,
    SETTINGS_FIELDS,
    CredentialInput,
    CredentialSerializer,
    created_serializer,
)
from keys.models import APIKey


class APIKeySerializer(CredentialSerializer):
    """A key as the API shows it: never its secret or hash."""

    prefix = serializers.CharField(source="display_prefix", read_only=True)
    successor = serializers.SerializerMethodField()

    class Meta:
        model = APIKey
        fields = (
            "id",
            "prefix",
            *SETTINGS_FIELDS,
            "predecessor",
            "successor",
            "rolled_at",
            "grace_until",
            *REVOKED_FIELDS,
        )
        read_only_fields = fields

    def get_successor(self, obj: APIKey) -> str | None:
        successor = getattr(obj, "successor", None)
        return successor.pk if successor is not None else None


CreatedKeySerializer = created_serializer(
    "CreatedKeySerializer", APIKeySerializer, "key", "The full key. Shown only in this response; store it now."
)


class KeyCreateSerializer(CredentialInput):
    pass


class KeyUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    allowed_networks = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)
    rate_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    metadata = serializers.DictField(required=False)


class KeyRollSerializer(serializers.Serializer[Any]):
    grace_seconds = serializers.IntegerField(
        min_value=0, max_value=30 * 24 * 3600, default=0, help_text="How long the old key keeps working (0 = stop now)."
    )


class KeyRollResultSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The successor's full key, shown only in this response.")
    successor = APIKeySerializer()
    previous = APIKeySerializer()


class KeyRevokeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VerifyRequestSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(max_length=512, trim_whitespace=False)
    ip = serializers.IPAddressField(
        required=False, allow_null=True, default=None, help_text="The end client's address."
    )
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=50,
        help_text="Scopes the key must hold; missing ones give INSUFFICIENT_SCOPE.",
    )


class RateLimitSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    reset = serializers.IntegerField()


class VerifyResponseSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField()
    code = serializers.CharField()
    key_id = serializers.CharField(allow_null=True)
    organization = serializers.CharField(allow_null=True)
    environment = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
    ratelimit = RateLimitSerializer(allow_null=True)
    missing_scopes = serializers.ListField(child=serializers.CharField(), required=False)


class WhoAmISerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    id = serializers.CharField()
    organization = serializers.CharField(allow_null=True)
    environment = serializers.CharField(allow_null=True)
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
