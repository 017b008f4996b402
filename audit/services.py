"""The one way to record an audit event."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent


def client_ip(request: HttpRequest | None, *, trusted_proxies: int | None = None) -> str | None:
    """The caller's IP: REMOTE_ADDR, or the address our trusted proxies appended to X-Forwarded-For."""
    if request is None:
        return None
    from django.conf import settings

    hops = settings.TRUSTED_PROXY_COUNT if trusted_proxies is None else trusted_proxies
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


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
    """Append one event. Call it inside the service's transaction so the event and the change land together."""
    if actor is not None and not getattr(actor, "pk", None):
        # A credential principal (an API key acting), not a stored user.
        actor_label = actor_label or str(actor)
        actor = None
    if actor is not None and not actor_label:
        actor_label = getattr(actor, "email", "") or str(actor)
    user_agent = ""
    if request is not None:
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    return AuditEvent.objects.create(
        action=action,
        organization=organization,
        actor=actor,
        actor_label=actor_label[:200],
        target_type=target_type,
        target_id=str(target_id),
        ip=client_ip(request),
        user_agent=user_agent,
        metadata=metadata or {},
    )
