"""Reads of endpoints, deliveries and attempts. Another organization's object is a 404, exactly like a missing one."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Organization
from lib.http import first_or_404
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, EndpointSecret


def endpoints_for_org(organization: Organization) -> QuerySet[Endpoint]:
    """The organization's endpoints, newest first, with their delivery counts by status."""
    return (
        Endpoint.objects.filter(organization=organization)
        .annotate(
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
            pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        )
        .order_by("-created_at", "id")
    )


def endpoint_for_org(organization: Organization, endpoint_id: str) -> Endpoint:
    return first_or_404(
        Endpoint.objects.select_related("organization", "created_by").filter(
            organization=organization, pk=str(endpoint_id)[:32]
        )
    )


def deliveries_for_endpoint(endpoint: Endpoint, *, status: str = "", event_type: str = "") -> QuerySet[Delivery]:
    """One row per message sent to the endpoint, newest first; `status` may also be `retrying`."""
    qs = Delivery.objects.filter(endpoint=endpoint).select_related("message")
    if status == "retrying":
        qs = qs.filter(status=DeliveryStatus.PENDING, round_attempts__gt=0)
    elif status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    if event_type:
        qs = qs.filter(message__event_type=event_type[:64])
    return qs.order_by("-created_at", "-id")


def delivery_for_endpoint(endpoint: Endpoint, message_id: str) -> Delivery:
    return first_or_404(
        Delivery.objects.select_related("message", "endpoint__organization").filter(
            endpoint=endpoint, message_id=str(message_id)[:32]
        )
    )


def attempts_for(delivery: Delivery) -> QuerySet[Attempt]:
    return Attempt.objects.filter(delivery=delivery).order_by("-number")


def delivery_counts(endpoint: Endpoint) -> dict[str, int]:
    rows = Delivery.objects.filter(endpoint=endpoint).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in DeliveryStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def secrets_for(endpoint: Endpoint) -> QuerySet[EndpointSecret]:
    """The endpoint's active secrets as rows (dates only; decrypting is the reveal service's job)."""
    return EndpointSecret.objects.active().filter(endpoint=endpoint).order_by("-created_at", "-id")
