"""Helpers shared by the webhook services: who acted, audit records and queueing on commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from audit.services import audit_record


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


def enqueue_on_commit(delivery_id: int, *, countdown: float = 0) -> None:
    """Queue the delivery task once the transaction commits (Celery's delay_on_commit, made robust).

    `robust=True`: if the broker is down at commit time the change still stands and the request
    does not fail; the row is already in the database and the beat sweep sends it.
    """

    def queue_delivery() -> None:
        from webhooks.tasks import deliver

        deliver.apply_async((delivery_id,), countdown=countdown if countdown > 0 else None)

    # A named function, not a functools.partial: Django logs a robust callback's failure by __qualname__.
    transaction.on_commit(queue_delivery, robust=True)
