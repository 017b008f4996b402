"""Reads for scheduled rotation and usage alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Organization
from keys.models import Alert, AlertStatus, APIKey, RotationPolicy, SealedSecret, UsageNetwork


def alerts_for_org(organization: Organization, *, status: str = "unresolved", kind: str = "") -> QuerySet[Alert]:
    """The organization's alerts, newest activity first; `status` is one of AlertStatus, "unresolved" or "all"."""
    qs = Alert.objects.filter(organization=organization).select_related("key", "acknowledged_by", "resolved_by")
    if status == "unresolved":
        qs = qs.exclude(status=AlertStatus.RESOLVED)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-last_seen_at", "-id")


def alert_counts(organization: Organization) -> dict[str, int]:
    """How many alerts are open, acknowledged and resolved, in one query."""
    row = Alert.objects.filter(organization=organization).aggregate(
        open=Count("pk", filter=Q(status=AlertStatus.OPEN)),
        acknowledged=Count("pk", filter=Q(status=AlertStatus.ACKNOWLEDGED)),
        resolved=Count("pk", filter=Q(status=AlertStatus.RESOLVED)),
    )
    return {k: int(v or 0) for k, v in row.items()}


def open_alert_count(*, user: Any, slug: str) -> int:
    """Open alerts of the team `slug`, or 0 when `user` is not a member (the banner never leaks)."""
    if not slug or not getattr(user, "is_authenticated", False):
        return 0
    return Alert.objects.filter(
        organization__slug=slug, organization__memberships__user=user, status=AlertStatus.OPEN
    ).count()


def rotation_policy_for(key: APIKey) -> RotationPolicy | None:
    return RotationPolicy.objects.filter(key=key).first()


def sealed_secret_for(key: APIKey) -> SealedSecret | None:
    return SealedSecret.objects.filter(key=key).select_related("revealed_by").first()


def recent_networks(key: APIKey, *, hours: int = 24) -> list[dict[str, Any]]:
    """Source networks the key was used from lately, busiest first: "who is still on the old key"."""
    since = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    return list(
        UsageNetwork.objects.filter(key=key, hour__gte=since, requests__gt=0)
        .values("network")
        .annotate(requests=Sum("requests"))
        .order_by("-requests", "network")[:10]
    )


def key_alerts(key: APIKey, *, limit: int = 5) -> list[Alert]:
    return list(Alert.objects.filter(key=key).exclude(status=AlertStatus.RESOLVED).order_by("-last_seen_at")[:limit])
