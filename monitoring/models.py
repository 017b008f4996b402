"""Usage buckets and source networks (rolled up from Redis), the anomaly alerts built on them, and expiry notices.

These models moved here from keys/ (issue 9) without moving a row: each keeps its table (`db_table`
pinned to the `keys_…` name it was created with) and its index and constraint names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from keys.models import APIKey

# `threshold_days` of the notice sent when a credential has expired.
EXPIRED = 0


class UsageBucket(models.Model):
    """Requests and authentication failures of one key in one hour, rolled up from Redis by a beat job."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="usage_buckets")
    hour = models.DateTimeField()
    requests = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "keys_usagebucket"
        constraints = [models.UniqueConstraint(fields=("key", "hour"), name="uniq_usage_key_hour")]
        # The anomaly scan reads the buckets of the last hours across all keys; the unique (key, hour)
        # index cannot serve that. Created by raw SQL in keys 0003, declared here so state matches.
        indexes = [models.Index(fields=("hour",), name="keys_usagebucket_hour_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.hour:%Y-%m-%d %H}:00 {self.requests}"


class UsageRollupBatch(models.Model):
    """A roll-up batch already applied, so a retried roll-up never counts a batch twice."""

    batch_id = models.CharField(max_length=64, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "keys_usagerollupbatch"

    def __str__(self) -> str:
        return self.batch_id


class UsageNetwork(models.Model):
    """Requests (and refused attempts from outside the allowed networks) of one key from one source
    network (/24 for IPv4, /48 for IPv6) in one hour. Rolled up with the usage buckets."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="usage_networks")
    hour = models.DateTimeField()
    network = models.CharField(max_length=49)
    requests = models.PositiveBigIntegerField(default=0)
    blocked = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "keys_usagenetwork"
        verbose_name = "usage by source network"
        verbose_name_plural = "usage by source network"
        constraints = [models.UniqueConstraint(fields=("key", "network", "hour"), name="uniq_usage_network_hour")]
        indexes = [models.Index(fields=("hour",), name="keys_usagenet_hour_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.network} {self.hour:%Y-%m-%d %H}:00"


class AlertKind(models.TextChoices):
    SPIKE = "spike", "Traffic spike"
    FAILURES = "failures", "Burst of authentication failures"
    NEW_NETWORK = "new_network", "New source network"
    BLOCKED_NETWORK = "blocked_network", "Use from outside the allowed networks"
    # Not an anomaly of traffic: a secret scanner or the public revoke endpoint reported the key (keys/leaks/).
    LEAKED = "leaked", "Key found in public"


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
        db_table = "keys_alert"
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


class ExpiryNotice(models.Model):
    """That a credential was noticed at one threshold (30, 7, 1 days before, or 0: expired).

    The unique row is the exactly-once claim: whichever job run inserts it sends the notice, any
    other run (a rerun, a second beat) fails the insert and sends nothing. The job only ever sends
    the nearest threshold reached, so a run that comes late (or an expiry set close) yields one
    notice, not one per missed threshold. A new expiry date starts afresh.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    credential_kind = models.CharField(max_length=32)
    credential_id = models.CharField(max_length=64)
    threshold_days = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "keys_expirynotice"
        verbose_name = "expiry notice"
        constraints = [
            models.UniqueConstraint(
                fields=("credential_kind", "credential_id", "threshold_days", "expires_at"),
                name="uniq_expiry_notice",
            )
        ]

    def __str__(self) -> str:
        when = "expired" if self.threshold_days == EXPIRED else f"{self.threshold_days}d"
        return f"{self.credential_kind} {self.credential_id} {when}"
