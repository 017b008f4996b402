"""`publish`: the one way any app sends an event to an organization's webhook endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from lib.jobs import enqueue_on_commit
from webhooks import catalogue
from webhooks.models import Delivery, Endpoint, Message
from webhooks.services.common import DELIVER
from webhooks.services.errors import PayloadError

# Field names that must never carry a value in an event; secrets are referred to by id, never sent.
_SECRET_FIELDS = frozenset(
    {"secret", "secrets", "plaintext", "password", "token", "secret_hash", "client_secret", "private_key", "api_key"}
)


def _check_no_secrets(value: Any, path: str = "data") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in _SECRET_FIELDS:
                raise PayloadError(f"Event payloads never carry secrets; refusing the field {path}.{key}.")
            _check_no_secrets(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_no_secrets(item, f"{path}[{i}]")


def envelope(event_type: str, data: dict[str, Any], *, now: Any = None) -> str:
    """The body receivers get: `{"type", "timestamp", "data"}` as compact JSON, under the size cap."""
    when = now or timezone.now()
    body = json.dumps(
        {"type": event_type, "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "data": data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    cap = int(getattr(settings, "WEBHOOK_MAX_PAYLOAD_BYTES", 65536))
    if len(body.encode()) > cap:
        raise PayloadError(f"The {event_type} payload is {len(body.encode())} bytes; the cap is {cap}.")
    return body


def publish(
    *,
    organization: Organization,
    event_type: str,
    data: dict[str, Any],
    endpoints: Iterable[Endpoint] | None = None,
) -> Message | None:
    """Store an event for every enabled endpoint of `organization` that subscribes to it, and queue it on commit.

    Call it inside the transaction of the change that caused the event: the message and its
    deliveries commit (or roll back) with that change, and the tasks are queued only after commit.
    `endpoints` overrides the subscription filter (the test event goes to one endpoint). Returns
    None when no endpoint wants the event, since nothing would ever read the stored message.
    """
    if catalogue.get(event_type) is None:
        raise ValueError(f"Unknown event type {event_type!r}; add it to webhooks.catalogue first.")
    _check_no_secrets(data)
    now = timezone.now()
    body = envelope(event_type, data, now=now)
    if endpoints is None:
        candidates = Endpoint.objects.filter(organization=organization, is_enabled=True).only("id", "event_types")
        # Filtered in Python: JSON containment lookups differ between SQLite and PostgreSQL, and an
        # organization has few endpoints (WEBHOOK_MAX_ENDPOINTS_PER_ORG).
        targets = [e for e in candidates if e.subscribes_to(event_type)]
    else:
        targets = [e for e in endpoints if e.is_enabled]
    if not targets:
        return None
    with transaction.atomic():
        message = Message.objects.create(organization=organization, event_type=event_type, payload=body, created_at=now)
        deliveries = Delivery.objects.bulk_create(
            [Delivery(message=message, endpoint=e, next_attempt_at=now, created_at=now) for e in targets]
        )
        for delivery in deliveries:
            if delivery.pk is None:  # backends without RETURNING on bulk insert
                delivery = Delivery.objects.get(message=message, endpoint=delivery.endpoint)
            enqueue_on_commit(DELIVER, delivery.pk)
    return message
