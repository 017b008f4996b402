"""Shapes of the webhook management API. Rules live in the services, not here."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from webhooks.models import Attempt, Delivery, Endpoint
from webhooks.services.delivery import RECOVER_WINDOW
from webhooks.services.endpoints import MAX_EVENT_TYPES, MAX_GRACE


class EndpointSerializer(serializers.ModelSerializer[Endpoint]):
    """An endpoint as the API shows it: never its secrets."""

    enabled = serializers.BooleanField(source="is_enabled", read_only=True)
    created_by = serializers.CharField(source="created_by_label", read_only=True)
    event_types = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Empty means every event type."
    )

    class Meta:
        model = Endpoint
        fields = (
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "created_at",
            "created_by",
            "updated_at",
        )
        read_only_fields = fields


class CreatedEndpointSerializer(EndpointSerializer):
    secret = serializers.SerializerMethodField(help_text="The signing secret (`whsec_…`). Store it in your receiver.")

    class Meta(EndpointSerializer.Meta):
        fields = ("secret", *EndpointSerializer.Meta.fields)  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    def get_secret(self, obj: Endpoint) -> str:
        return str(self.context["secret"])


class EndpointCreateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(max_length=2000, help_text="An https URL on the public internet.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=MAX_EVENT_TYPES,
        help_text="Event types to send; empty (the default) sends every type. See /api/v1/webhooks/event-types/.",
    )


class EndpointUpdateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_EVENT_TYPES
    )


class SecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Null for the current secret; when a rotated-out secret stops signing."
    )


class SecretsSerializer(serializers.Serializer[Any]):
    secrets = SecretSerializer(many=True, help_text="Every secret that signs now, current first.")


class RotateSerializer(serializers.Serializer[Any]):
    grace_seconds = serializers.IntegerField(
        min_value=0,
        max_value=int(MAX_GRACE.total_seconds()),
        default=86400,
        help_text="How long the old secret keeps signing beside the new one (0 = stop now).",
    )


class RotateResultSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="The new signing secret.")
    grace_until = serializers.DateTimeField(help_text="When the previous secrets stop signing.")


class AttemptSerializer(serializers.ModelSerializer[Attempt]):
    class Meta:
        model = Attempt
        fields = (
            "number",
            "started_at",
            "duration_ms",
            "status_code",
            "response_body",
            "error",
            "succeeded",
            "next_retry_at",
            "trigger",
        )
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    """One row per message sent to the endpoint."""

    message_id = serializers.CharField(read_only=True, help_text="The `webhook-id` header of every attempt.")
    event_type = serializers.CharField(source="message.event_type", read_only=True)
    status = serializers.CharField(source="state", read_only=True, help_text="pending, retrying, succeeded or failed")

    class Meta:
        model = Delivery
        fields = (
            "message_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "succeeded_at",
            "created_at",
        )
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    payload = serializers.SerializerMethodField(help_text="The envelope exactly as sent: {type, timestamp, data}.")
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = (*DeliverySerializer.Meta.fields, "payload", "attempts")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    def get_payload(self, obj: Delivery) -> dict[str, Any]:
        return dict(json.loads(obj.message.payload))


class RecoverSerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(
        help_text=f"Send again every failed message created since then (at most {RECOVER_WINDOW.days} days back)."
    )


class CountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()


class TestEventSerializer(serializers.Serializer[Any]):
    message_id = serializers.CharField()


class EventTypeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    group = serializers.CharField()
    description = serializers.CharField()
    example = serializers.DictField(source="example_envelope", help_text="A whole example body.")
