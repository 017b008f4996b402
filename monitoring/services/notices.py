"""Expiry notices: email and `key.expiring` at 30, 7 and 1 days before a credential expires, `key.expired` at expiry.

Covers every credential kind with an `expires_at` (API keys, HMAC signing secrets, mTLS client
certificates): the kinds registry (`hygiene_kinds()`) names them. Candidates are found with one query per kind and
threshold band; each notice is claimed by inserting its unique `ExpiryNotice` row in the same
transaction as its event and email, so a rerun, a late run or a second beat never sends it twice.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from accounts.outbox import email_queue, recipients_for
from audit.services import audit_record
from keys.core.registry import Kind
from keys.models import APIKey, KeyStatus
from keys.policies.hygiene import hygiene_kinds
from monitoring.models import EXPIRED, ExpiryNotice
from webhooks.services import publish


def thresholds() -> list[int]:
    """Notice thresholds in days, largest first (KEYS_EXPIRY_NOTICE_DAYS)."""
    return sorted({int(d) for d in settings.KEYS_EXPIRY_NOTICE_DAYS if int(d) > 0}, reverse=True)


def _noticed(kind: str, threshold: int, expires_at: Any) -> Exists:
    return Exists(
        ExpiryNotice.objects.filter(
            credential_kind=kind, credential_id=OuterRef("pk"), threshold_days=threshold, expires_at=expires_at
        )
    )


def expiry_notices_run(*, now: datetime | None = None) -> int:
    """Send every notice that is due and not yet sent; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    days = thresholds()
    for spec in hygiene_kinds():
        base = spec.model._default_manager.filter(status=KeyStatus.ACTIVE).select_related("organization", "created_by")
        if spec.model is APIKey:
            base = base.filter(grace_until__isnull=True)  # a rolled key's end is announced by the rotation
        # Band of threshold t: expiring after the next smaller threshold and within t days. Only the
        # nearest threshold reached is sent, so a late run sends one notice, not one per missed window.
        for i, threshold in enumerate(days):
            lower = now + timedelta(days=days[i + 1]) if i + 1 < len(days) else now
            band = base.filter(expires_at__gt=lower, expires_at__lte=now + timedelta(days=threshold))
            # Only a threshold the credential crossed while it existed: one created with 30 days to live
            # was never "30 days from expiry" after its creation, so it gets no "expires in 30 days".
            band = band.filter(created_at__lt=F("expires_at") - timedelta(days=threshold))
            for credential in band.exclude(_noticed(spec.name, threshold, OuterRef("expires_at"))).iterator():
                ends_at = credential.expires_at  # type: ignore[attr-defined]
                sent += _send(spec, credential, threshold=threshold, ends_at=ends_at, now=now)
        sent += _send_expired(spec, now)
    return sent


def _send_expired(spec: Kind[Any], now: datetime) -> int:
    """`key.expired` once for each credential that stopped working on its own within the lookback."""
    since = now - timedelta(days=settings.KEYS_EXPIRED_NOTICE_LOOKBACK_DAYS)
    ended = Q(expires_at__gt=since, expires_at__lte=now)
    if spec.model is APIKey:
        ended |= Q(grace_until__gt=since, grace_until__lte=now)  # the end of a roll's grace period
    candidates = list(
        spec.model._default_manager.filter(ended)
        .exclude(status=KeyStatus.REVOKED)
        .select_related("organization", "created_by")
    )
    if not candidates:
        return 0
    done = set(
        ExpiryNotice.objects.filter(
            credential_kind=spec.name,
            credential_id__in=[str(c.pk) for c in candidates],
            threshold_days=EXPIRED,
        ).values_list("credential_id", "expires_at")
    )
    sent = 0
    for credential in candidates:
        ends_at = credential.ends_at  # type: ignore[attr-defined]
        if ends_at is None or ends_at > now or (str(credential.pk), ends_at) in done:
            continue
        sent += _send(spec, credential, threshold=EXPIRED, ends_at=ends_at, now=now)
    return sent


def _send(spec: Kind[Any], credential: Any, *, threshold: int, ends_at: datetime, now: datetime) -> int:
    """Claim one notice and, in the same transaction, publish its event, queue its email and audit it."""
    org = credential.organization
    try:
        with transaction.atomic():
            ExpiryNotice.objects.create(
                organization=org,
                credential_kind=spec.name,
                credential_id=str(credential.pk),
                threshold_days=threshold,
                expires_at=ends_at,
            )
            _announce(spec, credential, threshold=threshold, ends_at=ends_at, now=now)
    except IntegrityError:
        return 0  # another run (a second beat, a retry) claimed this notice first
    return 1


def _announce(spec: Kind[Any], credential: Any, *, threshold: int, ends_at: datetime, now: datetime) -> None:
    org = credential.organization
    expired = threshold == EXPIRED
    event_type = "key.expired" if expired else "key.expiring"
    days_left = 0 if expired else max(1, math.ceil((ends_at - now).total_seconds() / 86400))
    rolled = spec.model is APIKey and credential.grace_until is not None and credential.grace_until == ends_at
    data: dict[str, Any] = {
        "organization": org.slug,
        "kind": spec.name,
        "key": credential.summary(),
        "expires_at": ends_at.isoformat(),
    }
    if expired:
        data["reason"] = "grace_ended" if rolled else "expired"
    else:
        data["days_left"] = days_left
        data["threshold_days"] = threshold
    publish(organization=org, event_type=event_type, data=data)
    audit_record(
        action=event_type,
        organization=org,
        actor_label="expiry notices",
        target_type=spec.name,
        target_id=str(credential.pk),
        metadata={k: v for k, v in data.items() if k != "organization"},
    )
    display = getattr(credential, "display_prefix", None) or credential.display_id
    email_queue(
        organization=org,
        template="key_expired" if expired else "key_expiring",
        recipients=recipients_for(org, creator=credential.created_by),
        context={
            "organization": org.name,
            "kind_label": spec.label,
            "name": credential.name,
            "display_id": display,
            "environment": credential.environment,
            "expires_at": ends_at.isoformat(),
            "expires_display": ends_at.strftime("%Y-%m-%d %H:%M UTC"),
            "days_left": days_left,
            "rolled": rolled,
            "path": reverse(spec.detail_url, kwargs={"slug": org.slug, spec.url_kwarg: credential.pk}),
        },
    )
