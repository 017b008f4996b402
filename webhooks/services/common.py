"""Helpers shared by the webhook services: who acted and audit records (queueing on commit is lib.jobs)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import User
from audit.services import audit_record

# The delivery task, queued by name through lib.jobs.enqueue_on_commit: services never import tasks.
DELIVER = "webhooks.tasks.deliver"


def actor_parts(actor: Any) -> tuple[User | None, str]:
    """(user, label) for the audit log. A credential acting through the API is duck-typed: webhooks knows no credential app."""
    if actor is None:
        return None, "system"
    if isinstance(actor, User):
        return actor, actor.email
    prefix = getattr(actor, "display_prefix", None)
    if prefix:
        return None, f"key {prefix}"
    return None, f"{getattr(actor, 'kind', 'credential')} {getattr(actor, 'id', '')}".strip()


def record(
    action: str,
    *,
    organization: Any,
    actor: Any,
    target_type: str,
    target_id: str,
    request: HttpRequest | None = None,
    **metadata: Any,
) -> None:
    user, label = actor_parts(actor)
    audit_record(
        action=action,
        organization=organization,
        actor=user,
        actor_label=label,
        target_type=target_type,
        target_id=target_id,
        request=request,
        metadata=metadata,
    )


def record_endpoint(
    action: str, endpoint: Any, /, *, actor: Any, request: HttpRequest | None = None, **metadata: Any
) -> None:
    """An audit record about one endpoint, in its organization. Positional-only, so `endpoint=` may be metadata."""
    record(
        action,
        organization=endpoint.organization,
        actor=actor,
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        request=request,
        **metadata,
    )
