"""The email outbox. (Expiry notices moved to monitoring/models.py.)"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Organization


class Notification(models.Model):
    """An email waiting to be sent: written in the transaction of what caused it, sent by a task after commit.

    A task claims it with a conditional UPDATE (`claimed_until`), sends, then stamps `sent_at`, so two
    workers never send one notification twice; a claim that outlives a crashed worker expires and the
    sweep sends it again. The context holds names and ids only, never a secret.
    """

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=64, help_text="templates/emails/<template>.txt, .html and _subject.txt")
    context = models.JSONField(default=dict, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "email notification"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.template} to {len(self.recipients)} recipient(s)"
