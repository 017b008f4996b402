"""Deliver messages: claim, sign, send, record the attempt, schedule the retry; plus manual retry and recovery.

Delivery is at least once. A delivery row is claimed with a conditional UPDATE before anything is
sent, so a duplicated or redelivered task (acks_late) finds nothing to do, and a delivery that
succeeded is never sent again unless a person asks for it. A worker that dies mid-send leaves a
claim that expires after CLAIM_LEASE; the beat sweep then hands the delivery to another worker.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from lib import crypto
from lib.jobs import enqueue_on_commit
from webhooks import sender, signing
from webhooks.models import Attempt, AttemptTrigger, Delivery, DeliveryStatus, DisabledReason, Endpoint, Message
from webhooks.services.common import DELIVER, record_endpoint
from webhooks.services.endpoints import endpoint_disable, endpoint_secrets
from webhooks.services.errors import WebhookConflict

logger = logging.getLogger("webhooks.delivery")

# Standard Webhooks' schedule: after the first attempt, retry after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
DEFAULT_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1  # ±10 %, so endpoints that failed together do not all retry in the same second
MAX_RETRY_AFTER = timedelta(hours=24)
# Longer than the whole send (15 s), so a live worker's claim never lapses under it.
CLAIM_LEASE = timedelta(seconds=60)
# Retries due within this are queued with a countdown; later ones are left to the beat sweep, so no
# worker holds day-long ETA tasks (which Redis would redeliver after its visibility timeout anyway).
COUNTDOWN_MAX = timedelta(minutes=10)
RECOVER_WINDOW = timedelta(days=14)


def retry_schedule() -> tuple[int, ...]:
    return tuple(getattr(settings, "WEBHOOK_RETRY_SCHEDULE", None) or DEFAULT_SCHEDULE)


def next_delay(round_attempts: int, *, retry_after: float | None = None) -> timedelta | None:
    """How long to wait after the `round_attempts`-th failed attempt, or None when the schedule is spent.

    A `Retry-After` from the receiver pushes the retry later (never earlier), up to 24 hours.
    """
    schedule = retry_schedule()
    if round_attempts > len(schedule):
        return None
    seconds = schedule[round_attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        seconds = max(seconds, min(retry_after, MAX_RETRY_AFTER.total_seconds()))
    return timedelta(seconds=seconds)


def _claim(delivery_id: int, now: datetime) -> str | None:
    """Take the delivery for one attempt if it is pending, due and not held by another worker."""
    token = uuid.uuid4().hex
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + CLAIM_LEASE, claim_token=token)
    )
    return token if claimed else None


def _disable_after() -> timedelta:
    return timedelta(days=float(getattr(settings, "WEBHOOK_DISABLE_AFTER_DAYS", 5)))


def delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """Make one attempt of a due delivery and record it. Returns None when there was nothing to do."""
    now = timezone.now()
    token = _claim(delivery_id, now)
    if token is None:
        return None
    delivery = Delivery.objects.select_related("endpoint", "message").filter(pk=delivery_id).first()
    if delivery is None:  # the endpoint was deleted in the meantime
        return None
    endpoint, message = delivery.endpoint, delivery.message
    if not endpoint.is_enabled:
        Delivery.objects.filter(pk=delivery_id, claim_token=token).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            last_error="The endpoint is disabled.",
        )
        return None
    body = message.payload.encode()
    started = timezone.now()
    try:
        secrets = endpoint_secrets(endpoint, now=started)
    except crypto.DecryptionError as exc:
        logger.error("cannot decrypt the signing secret of endpoint %s: %s", endpoint.id, exc)
        secrets = []
    if secrets:
        headers = signing.headers(secrets=secrets, msg_id=message.id, timestamp=int(started.timestamp()), body=body)
        result = sender.send(url=endpoint.url, headers=headers, body=body)
    else:
        result = sender.SendResult(None, "", "No usable signing secret (check ENCRYPTION_KEYS).", None, 0)
    return _record_attempt(delivery, token, started, result)


def _record_attempt(delivery: Delivery, token: str, started: datetime, result: sender.SendResult) -> Attempt | None:
    finished = timezone.now()
    endpoint = delivery.endpoint
    retry_in: timedelta | None = None
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().filter(pk=delivery.pk).first()
        if locked is None:  # deleted with its endpoint while the request was in flight
            return None
        ours = locked.claim_token == token
        locked.attempt_count += 1
        locked.round_attempts += 1
        attempt = Attempt(
            delivery=locked,
            number=locked.attempt_count,
            started_at=started,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            response_body=result.body[:2048],
            error=result.error,
            succeeded=result.ok,
            trigger=locked.next_trigger if locked.next_trigger in AttemptTrigger.values else AttemptTrigger.SCHEDULED,
        )
        locked.last_attempt_at = started
        locked.last_status_code = result.status_code
        locked.last_error = result.error or ("" if result.ok else f"HTTP {result.status_code}")
        locked.next_trigger = AttemptTrigger.SCHEDULED
        if ours:
            locked.claimed_until = None
            locked.claim_token = ""
        gone = result.status_code == 410
        if result.ok:
            locked.status = DeliveryStatus.SUCCEEDED
            locked.succeeded_at = finished
            locked.next_attempt_at = None
        elif ours:
            # A lapsed claim means another worker owns the schedule now; only the attempt is recorded.
            retry_in = None if gone else next_delay(locked.round_attempts, retry_after=result.retry_after)
            if retry_in is None:
                locked.status = DeliveryStatus.FAILED
                locked.next_attempt_at = None
            else:
                locked.status = DeliveryStatus.PENDING
                locked.next_attempt_at = attempt.next_retry_at = finished + retry_in
        attempt.save()
        locked.save()
        if result.ok:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(failing_since=None)
        else:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=started)
            failing_since = Endpoint.objects.filter(pk=endpoint.pk).values_list("failing_since", flat=True).first()
            if gone:
                endpoint_disable(endpoint=endpoint, actor=None, reason=DisabledReason.GONE)
                retry_in = None
            elif failing_since is not None and failing_since <= finished - _disable_after():
                endpoint_disable(endpoint=endpoint, actor=None, reason=DisabledReason.FAILING)
                retry_in = None
        if retry_in is not None and retry_in <= COUNTDOWN_MAX:
            enqueue_on_commit(DELIVER, locked.pk, countdown=retry_in.total_seconds())
    logger.info(
        "webhook %s to endpoint %s attempt %d: %s",
        delivery.message_id,
        endpoint.id,
        attempt.number,
        result.status_code or result.error,
    )
    return attempt


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of deliveries that are due and not held by a worker, oldest first (for the beat sweep)."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def deliveries_run_due(*, limit: int = 100) -> int:
    """Attempt every due delivery in this process, one after another; returns the number of attempts made."""
    return sum(1 for delivery_id in deliveries_due(limit=limit) if delivery_attempt(delivery_id=delivery_id))


def _restart(queryset: Any, now: datetime) -> int:
    return int(
        queryset.update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            round_attempts=0,
            next_trigger=AttemptTrigger.MANUAL,
            succeeded_at=None,
        )
    )


def delivery_retry(*, delivery: Delivery, actor: Any, request: HttpRequest | None = None) -> Delivery:
    """Send a message to its endpoint again now, restarting the retry schedule (also after a success)."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint__organization")
            .get(pk=delivery.pk)
        )
        endpoint = locked.endpoint
        if not endpoint.is_enabled:
            raise WebhookConflict("Enable the endpoint before retrying its deliveries.")
        if locked.is_in_flight(now):
            raise WebhookConflict("An attempt is in progress; wait for it to finish.")
        _restart(Delivery.objects.filter(pk=locked.pk), now)
        record_endpoint(
            "webhook.delivery_retried",
            endpoint,
            actor=actor,
            request=request,
            message=locked.message_id,
        )
        enqueue_on_commit(DELIVER, locked.pk)
    locked.refresh_from_db()
    return locked


def deliveries_recover(*, endpoint: Endpoint, actor: Any, since: datetime, request: HttpRequest | None = None) -> int:
    """Send again every failed message of the endpoint created since `since` (at most 14 days back)."""
    now = timezone.now()
    if since > now:
        raise ValidationError({"since": "Pick a time in the past."})
    if since < now - RECOVER_WINDOW:
        raise ValidationError({"since": f"Recovery reaches back at most {RECOVER_WINDOW.days} days."})
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update(of=("self",)).select_related("organization").get(pk=endpoint.pk)
        if not locked.is_enabled:
            raise WebhookConflict("Enable the endpoint before recovering its failed messages.")
        failed = Delivery.objects.filter(endpoint=locked, status=DeliveryStatus.FAILED, message__created_at__gte=since)
        ids = list(failed.values_list("id", flat=True))
        count = _restart(Delivery.objects.filter(pk__in=ids), now)
        record_endpoint(
            "webhook.deliveries_recovered",
            locked,
            actor=actor,
            request=request,
            since=since.isoformat(),
            count=count,
        )
        # Queue a first batch now; anything beyond it goes out with the next beat sweep.
        for delivery_id in ids[:500]:
            enqueue_on_commit(DELIVER, delivery_id)
    return count


def deliveries_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete messages (with their deliveries and attempts) past WEBHOOK_RETENTION_DAYS, and secrets whose grace ended."""
    from webhooks.models import EndpointSecret

    now = now or timezone.now()
    days = int(getattr(settings, "WEBHOOK_RETENTION_DAYS", 30))
    old = Message.objects.filter(created_at__lt=now - timedelta(days=days)).exclude(
        deliveries__status=DeliveryStatus.PENDING
    )
    _, deleted = old.delete()
    _, expired = EndpointSecret.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return {"messages": deleted.get("webhooks.Message", 0), "secrets": expired.get("webhooks.EndpointSecret", 0)}
