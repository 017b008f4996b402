"""Webhook endpoints, their encrypted signing secrets, messages, deliveries and delivery attempts."""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization

_BASE62 = string.ascii_letters + string.digits
ID_LENGTH = 24  # ≈143 random bits: collisions are not a practical concern, so there is no retry loop


def new_id(prefix: str) -> str:
    """A random public id such as `ep_3fQ9…` or `msg_7Hk2…` (prefix, underscore, 24 base62 characters)."""
    return f"{prefix}_" + "".join(secrets.choice(_BASE62) for _ in range(ID_LENGTH))


def _endpoint_id() -> str:
    return new_id("ep")


def _message_id() -> str:
    return new_id("msg")


class DisabledReason(models.TextChoices):
    MANUAL = "manual", "Disabled by a team member"
    GONE = "gone", "The receiver answered 410 Gone"
    FAILING = "failing", "Every delivery failed for too long"
    ADMIN = "admin", "Disabled by an administrator"


class Endpoint(models.Model):
    """A URL of an organization that receives the events it subscribes to, signed with its secrets.

    `event_types` empty means every event type. `failing_since` is the first failed attempt since the
    last success; an endpoint that keeps failing for WEBHOOK_DISABLE_AFTER_DAYS is disabled.
    """

    id = models.CharField(primary_key=True, max_length=32, default=_endpoint_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty: every event type.")
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [models.Index(fields=("organization", "is_enabled"))]

    def __str__(self) -> str:
        return f"{self.url} ({self.id})"

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    @property
    def state(self) -> str:
        return "enabled" if self.is_enabled else "disabled"

    def summary(self) -> dict[str, Any]:
        """Non-secret facts about the endpoint, for events and the audit log."""
        return {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "event_types": list(self.event_types),
            "enabled": self.is_enabled,
        }


class EndpointSecretQuerySet(models.QuerySet["EndpointSecret"]):
    def active(self, now: datetime | None = None) -> EndpointSecretQuerySet:
        """Secrets that sign right now: the current one and any still inside their rotation grace."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))


class EndpointSecret(models.Model):
    """A signing secret (`whsec_…`), stored only encrypted (see lib.crypto); never hashed, never plaintext.

    The current secret has no `expires_at`. A rotated-out secret keeps signing beside the new one
    until `expires_at`, so receivers can switch without dropping a delivery.
    """

    # `ciphertext` is sealed for this purpose and the endpoint's id (lib.crypto): every secret of an endpoint opens
    # with the endpoint's id, and none opens on another endpoint.
    ENCRYPTION_PURPOSE = "webhooks.endpoint_secret"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secrets")
    ciphertext = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointSecretQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"secret {self.pk} of {self.endpoint_id}"

    def is_active(self, now: datetime | None = None) -> bool:
        return self.expires_at is None or self.expires_at > (now or timezone.now())


class Message(models.Model):
    """One event as it is sent: `id` is the `webhook-id`, `payload` the exact signed body, the same on every retry."""

    id = models.CharField(primary_key=True, max_length=32, default=_message_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_messages")
    event_type = models.CharField(max_length=64, db_index=True)
    payload = models.TextField(help_text="The JSON envelope exactly as signed and sent.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """A message on its way to one endpoint: the unit that is claimed, attempted and retried.

    A worker claims it with a conditional UPDATE (status pending, due, lease free), so a duplicated
    or retried task can never send a delivery that already succeeded or that another worker holds.
    `round_attempts` counts attempts since the last (re)start of the retry schedule.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    round_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    next_trigger = models.CharField(max_length=10, default="scheduled", editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=("message", "endpoint"), name="uniq_delivery_message_endpoint")]
        indexes = [
            models.Index(fields=("status", "next_attempt_at")),
            models.Index(fields=("endpoint", "-created_at")),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.endpoint_id} ({self.status})"

    def is_in_flight(self, now: datetime | None = None) -> bool:
        return self.claimed_until is not None and self.claimed_until > (now or timezone.now())

    @property
    def state(self) -> str:
        """What the portal shows: succeeded, failed, retrying (pending after a failure) or pending."""
        if self.status == DeliveryStatus.PENDING and self.round_attempts:
            return "retrying"
        return self.status


class AttemptTrigger(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    MANUAL = "manual", "Manual retry"


class Attempt(models.Model):
    """One HTTP request to an endpoint and what came back (truncated), or why it failed."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first bytes of the response, as text.")
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=10, choices=AttemptTrigger.choices, default=AttemptTrigger.SCHEDULED)

    class Meta:
        ordering = ("delivery", "number")
        constraints = [models.UniqueConstraint(fields=("delivery", "number"), name="uniq_attempt_number")]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40] or "?"
        return f"attempt {self.number} of {self.delivery_id}: {outcome}"
