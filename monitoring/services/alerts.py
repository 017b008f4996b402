"""People acting on alerts: acknowledge (it leaves the banner) and resolve (the cooldown starts)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from keys.core.errors import KeyConflict
from keys.models import APIKey
from monitoring.models import Alert, AlertKind, AlertStatus


def _person(actor: Any) -> tuple[User | None, str]:
    if isinstance(actor, User):
        return actor, actor.email
    return None, f"key {getattr(actor, 'display_prefix', actor)}"


def _record(action: str, alert: Alert, actor: Any, request: HttpRequest | None) -> None:
    user, label = _person(actor)
    audit_record(
        action=action,
        organization=alert.organization,
        actor=user,
        actor_label=label,
        target_type="api_key",
        target_id=alert.key_id,
        request=request,
        metadata={"alert": alert.summary()},
    )


def alert_acknowledge(*, alert: Alert, actor: User | APIKey, request: HttpRequest | None = None) -> Alert:
    """Mark an open alert as seen (it leaves the banner). Acknowledging twice is a no-op."""
    with transaction.atomic():
        # of=("self",): lock the alert row only, not the organization joined in for the audit record.
        locked = Alert.objects.select_for_update(of=("self",)).select_related("organization").get(pk=alert.pk)
        if locked.status == AlertStatus.RESOLVED:
            raise KeyConflict("This alert is already resolved.")
        if locked.status == AlertStatus.ACKNOWLEDGED:
            return locked
        locked.status, locked.acknowledged_at = AlertStatus.ACKNOWLEDGED, timezone.now()
        locked.acknowledged_by = _person(actor)[0]
        locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        _record("alert.acknowledged", locked, actor, request)
    return locked


def alert_resolve(*, alert: Alert, actor: User | APIKey, request: HttpRequest | None = None) -> Alert:
    """Close an alert. The same anomaly raises a new alert only after the cooldown. Idempotent."""
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("organization").get(pk=alert.pk)
        if locked.status == AlertStatus.RESOLVED:
            return locked
        locked.status, locked.resolved_at, locked.resolved_by = AlertStatus.RESOLVED, timezone.now(), _person(actor)[0]
        locked.save(update_fields=["status", "resolved_at", "resolved_by"])
        _record("alert.resolved", locked, actor, request)
    return locked


def leak_alert_raise(*, key: APIKey, source: str, url: str, action: str) -> Alert:
    """Put a "found in public" alert on the team's alerts list, in the report's transaction.

    One unresolved leak alert per key: another report bumps `occurrences` and keeps the latest address.
    A leak is never quiet for a cooldown: every new report after a resolve raises a new alert.
    """
    now = timezone.now()
    details = {"source": source, "url": url, "action": action}
    with transaction.atomic():
        current = (
            Alert.objects.select_for_update(of=("self",))
            .filter(key=key, kind=AlertKind.LEAKED, subject="")
            .exclude(status=AlertStatus.RESOLVED)
            .first()
        )
        if current is not None:
            current.occurrences += 1
            current.observed = float(current.occurrences)
            current.hour, current.last_seen_at, current.details = (
                now.replace(minute=0, second=0, microsecond=0),
                now,
                details,
            )
            current.save(update_fields=["occurrences", "observed", "hour", "last_seen_at", "details"])
            return current
        return Alert.objects.create(
            organization_id=key.organization_id,
            key=key,
            kind=AlertKind.LEAKED,
            hour=now.replace(minute=0, second=0, microsecond=0),
            observed=1.0,
            details=details,
            first_seen_at=now,
            last_seen_at=now,
        )
