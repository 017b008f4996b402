"""Expiry notices: one per credential, threshold and expiry date (the email outbox is accounts.OutboundEmail)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization

# `threshold_days` of the notice sent when a credential has expired.
EXPIRED = 0


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
