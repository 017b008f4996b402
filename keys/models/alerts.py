"""Usage anomaly alerts, and the per-hour source networks of each key they are built on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from keys.models.api_keys import APIKey


class AlertKind(models.TextChoices):
    SPIKE = "spike", "Traffic spike"
    FAILURES = "failures", "Burst of authentication failures"
    NEW_NETWORK = "new_network", "New source network"
    BLOCKED_NETWORK = "blocked_network", "Use from outside the allowed networks"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One anomaly of one key. While it is unresolved, the same anomaly again only bumps `occurrences`
    (one unresolved alert per key, kind and subject, enforced by the database); after it is resolved,
    the same anomaly stays quiet for the cooldown.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alerts")
    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    subject = models.CharField(
        max_length=64, blank=True, help_text="What the alert is about within its kind: the source network, or empty."
    )
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    hour = models.DateTimeField(help_text="The latest hour (UTC) whose traffic raised this alert.")
    observed = models.FloatField()
    baseline = models.FloatField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-last_seen_at", "-id")
        indexes = [models.Index(fields=("organization", "status", "-last_seen_at"), name="keys_alert_org_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=("key", "kind", "subject"), condition=~Q(status="resolved"), name="uniq_unresolved_alert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.key_id}"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    def summary(self) -> dict[str, object]:
        """Non-secret facts for events and emails."""
        return {
            "id": self.pk,
            "kind": self.kind,
            "subject": self.subject,
            "hour": self.hour.isoformat(),
            "observed": self.observed,
            "baseline": self.baseline,
            "threshold": self.threshold,
            "details": self.details,
        }


class UsageNetwork(models.Model):
    """Requests (and refused attempts from outside the allowed networks) of one key from one source
    network (/24 for IPv4, /48 for IPv6) in one hour. Rolled up with the usage buckets."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="usage_networks")
    hour = models.DateTimeField()
    network = models.CharField(max_length=49)
    requests = models.PositiveBigIntegerField(default=0)
    blocked = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "usage by source network"
        verbose_name_plural = "usage by source network"
        constraints = [models.UniqueConstraint(fields=("key", "network", "hour"), name="uniq_usage_network_hour")]
        indexes = [models.Index(fields=("hour",), name="keys_usagenet_hour_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.network} {self.hour:%Y-%m-%d %H}:00"
