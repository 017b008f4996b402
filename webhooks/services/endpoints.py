"""Create, change, disable, enable and delete endpoints; reveal and rotate their signing secrets; send a test event.

Each lifecycle action records exactly one audit event, inside the same transaction as the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.outbox import email_queue, recipients_for
from lib import crypto
from webhooks import catalogue, signing
from webhooks.models import DeliveryStatus, DisabledReason, Endpoint, EndpointSecret, Message
from webhooks.sender import host_refusal
from webhooks.services.common import actor_parts, record_endpoint
from webhooks.services.errors import WebhookConflict
from webhooks.services.events import publish

logger = logging.getLogger("webhooks")

MAX_GRACE = timedelta(days=7)
MAX_EVENT_TYPES = 100
_UNSET: Any = object()
_url_validator = URLValidator(schemes=["http", "https"])


# --- validation ------------------------------------------------------------------------------


def clean_url(url: Any) -> str:
    """An http(s) URL of at most 2000 characters, without credentials, that does not point inside our network.

    https is required unless WEBHOOK_REQUIRE_HTTPS is off (development and tests).
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": "Enter the URL that should receive the events."})
    url = url.strip()
    if len(url) > 2000:
        raise ValidationError({"url": "The URL is at most 2000 characters."})
    try:
        _url_validator(url)
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range
    except (ValidationError, ValueError) as exc:
        raise ValidationError({"url": "Enter a valid http or https URL."}) from exc
    if port == 0:
        raise ValidationError({"url": "Port 0 cannot receive webhooks; give the receiver's real port."})
    if parts.username is not None or parts.password is not None:
        raise ValidationError({"url": "Leave credentials out of the URL; verify our signature instead."})
    if parts.scheme != "https" and getattr(settings, "WEBHOOK_REQUIRE_HTTPS", True):
        raise ValidationError({"url": "The URL must use https."})
    refusal = host_refusal(parts.hostname or "")
    if refusal:
        raise ValidationError({"url": f"This URL cannot receive webhooks: {refusal}."})
    return url


def clean_event_types(event_types: Any) -> list[str]:
    """Known event types, without duplicates, in catalogue order. Empty means every event type."""
    if event_types is None:
        return []
    if isinstance(event_types, str) or not isinstance(event_types, (list, tuple, set)):
        raise ValidationError({"event_types": "Give the event types as a list."})
    if len(event_types) > MAX_EVENT_TYPES:
        raise ValidationError({"event_types": f"At most {MAX_EVENT_TYPES} event types."})
    chosen = {str(t) for t in event_types}
    unknown = sorted(t for t in chosen if catalogue.get(t) is None)
    if unknown:
        raise ValidationError({"event_types": f"Unknown event type(s): {', '.join(u[:64] for u in unknown)}."})
    return [name for name in catalogue.names() if name in chosen]


def clean_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise ValidationError({"description": "The description is text."})
    description = description.strip()
    if len(description) > 200:
        raise ValidationError({"description": "The description is at most 200 characters."})
    return description


# --- endpoints -------------------------------------------------------------------------------


def _new_secret(endpoint: Endpoint, now: datetime) -> str:
    plaintext = signing.generate_secret()
    EndpointSecret.objects.create(
        endpoint=endpoint,
        ciphertext=crypto.encrypt(plaintext, purpose=EndpointSecret.ENCRYPTION_PURPOSE, row_id=endpoint.id),
        created_at=now,
    )
    return plaintext


def endpoint_create(
    *,
    organization: Organization,
    actor: Any,
    url: Any,
    description: Any = "",
    event_types: Any = None,
    request: HttpRequest | None = None,
) -> tuple[Endpoint, str]:
    """Register an endpoint with a fresh signing secret; returns the endpoint and the secret's plaintext."""
    fields = {
        "url": clean_url(url),
        "description": clean_description(description),
        "event_types": clean_event_types(event_types),
    }
    limit = int(getattr(settings, "WEBHOOK_MAX_ENDPOINTS_PER_ORG", 20))
    user, label = actor_parts(actor)
    now = timezone.now()
    with transaction.atomic():
        # Lock the organization row so two concurrent creates cannot both pass the limit.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if Endpoint.objects.filter(organization=organization).count() >= limit:
            raise ValidationError(f"A team can have at most {limit} webhook endpoints.")
        endpoint = Endpoint.objects.create(
            organization=organization, created_by=user, created_by_label=label, created_at=now, **fields
        )
        plaintext = _new_secret(endpoint, now)
        record_endpoint("webhook.endpoint_created", endpoint, actor=actor, request=request, endpoint=endpoint.summary())
    return endpoint, plaintext


def endpoint_update(
    *,
    endpoint: Endpoint,
    actor: Any,
    url: Any = _UNSET,
    description: Any = _UNSET,
    event_types: Any = _UNSET,
    request: HttpRequest | None = None,
) -> Endpoint:
    """Change an endpoint's URL, description or event-type filter. Unchanged values record nothing."""
    changes: dict[str, Any] = {}
    if url is not _UNSET:
        changes["url"] = clean_url(url)
    if description is not _UNSET:
        changes["description"] = clean_description(description)
    if event_types is not _UNSET:
        changes["event_types"] = clean_event_types(event_types)
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        changed = {f: v for f, v in changes.items() if getattr(locked, f) != v}
        if not changed:
            return locked
        before = {f: getattr(locked, f) for f in changed}
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changed, "updated_at"])
        record_endpoint(
            "webhook.endpoint_updated",
            locked,
            actor=actor,
            request=request,
            changes={f: {"before": before[f], "after": v} for f, v in changed.items()},
        )
    return locked


def endpoint_delete(*, endpoint: Endpoint, actor: Any, request: HttpRequest | None = None) -> None:
    """Delete an endpoint with its secrets and delivery log. Messages other endpoints got are kept."""
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        record_endpoint("webhook.endpoint_deleted", locked, actor=actor, request=request, endpoint=locked.summary())
        locked.delete()


def _notify_admins(endpoint: Endpoint, reason: str) -> None:
    """Email the team's owners and admins through the outbox (sent once after commit, retried)."""
    org = endpoint.organization
    failing_since = endpoint.failing_since.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if endpoint.failing_since else ""
    email_queue(
        organization=org,
        template="webhook_endpoint_disabled",
        context={
            "endpoint": {"id": endpoint.id, "url": endpoint.url, "description": endpoint.description},
            "failing_since": failing_since,
            "organization": {"name": org.name},
            "reason": str(DisabledReason(reason).label),
            "url": settings.SITE_URL + reverse("webhooks:detail", args=[org.slug, endpoint.id]),
        },
        recipients=recipients_for(org),
    )


def endpoint_disable(
    *, endpoint: Endpoint, actor: Any, reason: str = DisabledReason.MANUAL, request: HttpRequest | None = None
) -> Endpoint:
    """Stop deliveries to an endpoint; its pending deliveries become failed (recoverable after enabling).

    Also publishes `webhook.endpoint_disabled` to the team's other endpoints. Automatic disables
    (410 Gone, failing for days) and administrator actions also email the team's owners and admins.
    Disabling a disabled endpoint is a no-op.
    """
    if reason not in DisabledReason.values:
        raise ValidationError({"reason": "Unknown reason."})
    now = timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update(of=("self",)).select_related("organization").get(pk=endpoint.pk)
        if not locked.is_enabled:
            return locked
        locked.is_enabled = False
        locked.disabled_reason = reason
        locked.disabled_at = now
        locked.save(update_fields=["is_enabled", "disabled_reason", "disabled_at", "updated_at"])
        locked.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="The endpoint was disabled."
        )
        failing_since = locked.failing_since.isoformat() if locked.failing_since else None
        record_endpoint(
            "webhook.endpoint_disabled",
            locked,
            actor=actor,
            request=request,
            reason=reason,
            failing_since=failing_since,
        )
        publish(
            organization=locked.organization,
            event_type="webhook.endpoint_disabled",
            data={
                "organization": locked.organization.slug,
                "endpoint": locked.summary(),
                "reason": reason,
                "failing_since": failing_since,
            },
        )
        if reason != DisabledReason.MANUAL:
            _notify_admins(locked, reason)
    logger.info("webhook endpoint %s disabled (%s)", locked.id, reason)
    return locked


def endpoint_enable(*, endpoint: Endpoint, actor: Any, request: HttpRequest | None = None) -> Endpoint:
    """Resume deliveries of new events; recover the failed ones with `deliveries_recover`."""
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update(of=("self",)).select_related("organization").get(pk=endpoint.pk)
        if locked.is_enabled:
            return locked
        locked.is_enabled = True
        locked.disabled_reason = ""
        locked.disabled_at = None
        locked.failing_since = None
        locked.save(update_fields=["is_enabled", "disabled_reason", "disabled_at", "failing_since", "updated_at"])
        record_endpoint("webhook.endpoint_enabled", locked, actor=actor, request=request)
    return locked


# --- secrets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevealedSecret:
    secret: str
    created_at: datetime
    expires_at: datetime | None


def endpoint_secrets(endpoint: Endpoint, *, now: datetime | None = None) -> list[str]:
    """The plaintext of every secret that signs right now, newest first (for the sender only)."""
    rows = EndpointSecret.objects.active(now).filter(endpoint_id=endpoint.id).order_by("-created_at", "-id")
    return [
        crypto.decrypt(row.ciphertext, purpose=EndpointSecret.ENCRYPTION_PURPOSE, row_id=endpoint.id) for row in rows
    ]


def endpoint_secret_reveal(
    *, endpoint: Endpoint, actor: Any, request: HttpRequest | None = None
) -> list[RevealedSecret]:
    """Decrypt the endpoint's active secrets for display (current first). Each reveal is audited."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(EndpointSecret.objects.active(now).filter(endpoint=endpoint).order_by("-created_at", "-id"))
        revealed = [
            RevealedSecret(
                crypto.decrypt(r.ciphertext, purpose=EndpointSecret.ENCRYPTION_PURPOSE, row_id=endpoint.id),
                r.created_at,
                r.expires_at,
            )
            for r in rows
        ]
        record_endpoint("webhook.secret_revealed", endpoint, actor=actor, request=request, secrets=len(revealed))
    return revealed


def endpoint_secret_rotate(
    *, endpoint: Endpoint, actor: Any, grace: timedelta = timedelta(hours=24), request: HttpRequest | None = None
) -> tuple[str, datetime]:
    """Issue a new secret; every older one keeps signing beside it until the grace period ends.

    Returns the new secret's plaintext and when the old ones stop signing. Rotating again inside a
    grace period shortens the older secrets' end to the new one, never lengthens it.
    """
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValidationError({"grace": f"The grace period is between 0 and {MAX_GRACE.days} days."})
    now = timezone.now()
    grace_until = now + grace
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update(of=("self",)).select_related("organization").get(pk=endpoint.pk)
        older = EndpointSecret.objects.active(now).filter(endpoint=locked)
        older.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=grace_until)).update(expires_at=grace_until)
        plaintext = _new_secret(locked, now)
        record_endpoint(
            "webhook.secret_rotated",
            locked,
            actor=actor,
            request=request,
            grace_until=grace_until.isoformat(),
        )
    return plaintext, grace_until


# --- test event --------------------------------------------------------------------------------


def endpoint_send_test(*, endpoint: Endpoint, actor: Any, request: HttpRequest | None = None) -> Message:
    """Send a `webhook.test` event to this endpoint only, whatever its event-type filter."""
    with transaction.atomic():
        locked = Endpoint.objects.select_related("organization").get(pk=endpoint.pk)
        if not locked.is_enabled:
            raise WebhookConflict("Enable the endpoint before sending it a test event.")
        _, label = actor_parts(actor)
        message = publish(
            organization=locked.organization,
            event_type="webhook.test",
            data={
                "organization": locked.organization.slug,
                "endpoint": {"id": locked.id},
                "message": f"Hello from {settings.SITE_NAME}. This test event was sent by {label}.",
            },
            endpoints=[locked],
        )
        assert message is not None
        record_endpoint("webhook.test_sent", locked, actor=actor, request=request, message=message.id)
    return message
