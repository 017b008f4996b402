"""The one way to record an audit event."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import chain
from audit.models import AuditChainCheck, AuditEvent
from lib.conf import Snapshot

logger = logging.getLogger(__name__)
_conf = Snapshot("TRUSTED_PROXY_COUNT")  # client_ip runs on every API request


def client_ip(request: HttpRequest | None, *, trusted_proxies: int | None = None) -> str | None:
    """The caller's IP: REMOTE_ADDR, or the address our trusted proxies appended to X-Forwarded-For."""
    if request is None:
        return None
    # A DRF Request reaches META only through its __getattr__ proxy: go to the HttpRequest itself.
    meta = getattr(request, "_request", request).META
    hops = _conf.TRUSTED_PROXY_COUNT if trusted_proxies is None else trusted_proxies
    if hops > 0:
        forwarded = [p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return meta.get("REMOTE_ADDR") or None


def actor_label_of(actor: Any) -> str:
    """The one label for whoever acted: a person's email, a credential's kind and public id, or "system".

    Credentials are duck-typed (audit sits below every credential app): an API key reads
    `key ak_live_3fQ9xK2m`, any other kind `<kind> <display id>`, e.g. `signing secret hss_…`.
    """
    if actor is None:
        return "system"
    if isinstance(actor, get_user_model()):
        return str(actor.email)
    prefix = getattr(actor, "display_prefix", None)
    if prefix:
        return f"key {prefix}"
    kind = str(getattr(actor, "kind", "credential")).replace("_", " ")
    ident = getattr(actor, "display_id", None) or getattr(actor, "pk", None) or ""
    return f"{kind} {ident}".strip()


def audit_record(
    *,
    action: str,
    organization: Any = None,
    actor: Any = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: str = "",
    request: HttpRequest | None = None,
    metadata: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the service's transaction so the event and the change land together.

    `actor` is a person, a credential acting through the API, or None for the system; the label comes
    from `actor_label_of()` unless the caller names one (a job, e.g. "rotation policy").
    """
    actor_label = actor_label or actor_label_of(actor)
    if actor is not None and not isinstance(actor, get_user_model()):
        # A credential principal, not a stored user: only the label records it.
        actor = None
    user_agent = ""
    if request is not None:
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    event = AuditEvent(
        action=action,
        organization=organization,
        actor=actor,
        actor_label=actor_label[:200],
        target_type=target_type,
        target_id=str(target_id),
        ip=client_ip(request),
        user_agent=user_agent,
        metadata=chain.normalize_metadata(metadata),
    )
    with transaction.atomic():
        # Only this organization's chain is locked, until the caller's transaction commits (see audit.chain).
        chain.lock(event.organization_id)
        event.created_at = timezone.now()  # after the lock, so times rise with ids within the chain
        event.prev_hash = chain.head(event.organization_id)
        event.hash = chain.link(event.prev_hash, event)
        event.save(force_insert=True)
    return event


STALE_CHECK = timedelta(hours=1)


def audit_admin_action(request: HttpRequest, action: str, *, target_type: str, **metadata: Any) -> AuditEvent:
    """The one event of a bulk action in the admin, by the staff member, with what it touched in `metadata`
    (the services it called audit each change as well)."""
    return audit_record(action=action, actor=request.user, target_type=target_type, request=request, metadata=metadata)


def audit_chain_check(*, today: date | None = None) -> AuditChainCheck | None:
    """Verify the hash chain once a day: returns the finished check, or None when another run has the day.

    The day's row is the claim (a second beat, or a rerun, finds it and does nothing); a claim left
    behind by a crashed run is taken over after an hour. A broken chain is logged at ERROR and mailed
    to ADMINS.
    """
    now = timezone.now()
    day = today or now.date()
    try:
        with transaction.atomic():
            check = AuditChainCheck.objects.create(day=day, started_at=now)
    except IntegrityError:
        taken = AuditChainCheck.objects.filter(day=day, finished_at__isnull=True, started_at__lt=now - STALE_CHECK)
        if not taken.update(started_at=now):
            return None
        check = AuditChainCheck.objects.get(day=day)
    report = audit_chain_verify()
    check.finished_at = timezone.now()
    check.ok = report.ok
    check.events_checked = report.checked
    check.last_event_id = report.last_id
    check.last_hash = report.last_hash
    check.heads = report.heads
    check.first_bad_id = report.first_bad_id
    check.message = report.message[:300]
    check.save()
    if not report.ok:
        logger.error("audit chain broken: %s", report.message)
        mail_admins(
            "Audit log hash chain is broken", f"{report.message}\nChecked {report.checked} events intact before it."
        )
    return check


def audit_chain_verify() -> chain.Report:
    """Check every chain, and that each chain's newest event an earlier check saw still has the hash it had."""
    report = chain.verify()
    if not report.ok:
        return report
    earlier = AuditChainCheck.objects.filter(ok=True).exclude(heads={}).order_by("-finished_at").first()
    if earlier is None:
        return report
    seen = {int(event_id): digest for event_id, digest in earlier.heads.values()}
    ids = sorted(seen)
    found: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        found.update(AuditEvent.objects.filter(pk__in=ids[start : start + 1000]).values_list("pk", "hash"))
    for event_id in ids:
        if found.get(event_id) != seen[event_id]:
            report.ok = False
            report.first_bad_id = event_id
            report.message = f"Event {event_id}, verified on {earlier.day}, is missing or changed."
            break
    return report
