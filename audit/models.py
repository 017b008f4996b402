"""The append-only audit log. It names users and organizations by lazy model strings and imports no app of ours."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One recorded action. Rows are written once and never changed (PostgreSQL also enforces this by trigger)."""

    # Set in `audit_record` before the row's hash is computed (auto_now_add would set it after).
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # No database constraint: deleting a user or organization must not rewrite history.
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who acted, as text that survives deletion.")
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The hash chains (audit.chain), one per organization: each row's hash covers its content and the
    # hash of the row before it in its chain, so a changed, removed or reordered row breaks the chain.
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=("organization", "-created_at")),
            # A chain's head: the newest id of one organization (audit.chain.head).
            models.Index(fields=("organization", "-id"), name="audit_event_chain_head"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label or 'system'} {self.action} {self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditChainCheck(models.Model):
    """One verification of the audit log's hash chain. The daily job claims its day with the unique
    `day`, so two beats check once; the head of every chain it verified is kept (`heads`) so the next
    check notices a cut tail in any of them."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    events_checked = models.PositiveBigIntegerField(default=0)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, blank=True)
    first_bad_id = models.BigIntegerField(null=True, blank=True)
    # {chain: [event id, hash]}: the chain is the organization's id, or "-" for events without one.
    heads = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-day",)
        verbose_name = "audit chain check"

    def __str__(self) -> str:
        state = "running" if self.ok is None else ("intact" if self.ok else "BROKEN")
        return f"{self.day} {state}"
