"""Reads of monitoring: alerts, usage per hour and day, source networks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization
from keys.models import APIKey
from lib.http import first_or_404
from monitoring.models import Alert, AlertStatus, UsageBucket, UsageNetwork


def alert_for_org(organization: Organization, alert_id: str) -> Alert:
    """One alert of the organization; another's, or none, is a 404."""
    if not alert_id.isdigit() or len(alert_id) > 18:  # beyond bigint is no alert, not a database error
        raise Http404
    return first_or_404(Alert.objects.filter(organization=organization, pk=int(alert_id)))


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
    """The key's unresolved alerts, newest activity first."""
    return list(Alert.objects.filter(key=key).exclude(status=AlertStatus.RESOLVED).order_by("-last_seen_at")[:limit])


def usage_hourly(key: APIKey, *, hours: int = 24 * 7) -> list[tuple[str, int, int]]:
    """(hour ISO, requests, failures) for the last `hours` hours, zero-filled."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=hours - 1)
    rows = {
        b.hour: (b.requests, b.failures)
        for b in UsageBucket.objects.filter(key=key, hour__gte=start).only("hour", "requests", "failures")
    }
    out = []
    for i in range(hours):
        hour = start + timedelta(hours=i)
        req, fail = rows.get(hour, (0, 0))
        out.append((hour.isoformat(), req, fail))
    return out


def usage_daily(key: APIKey, *, days: int = 30) -> list[tuple[str, int, int]]:
    """(date ISO, requests, failures) for the last `days` days, zero-filled."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    rows = {
        r["day"]: (r["req"] or 0, r["fail"] or 0)
        for r in UsageBucket.objects.filter(key=key, hour__date__gte=start)
        .annotate(day=TruncDate("hour"))
        .values("day")
        .annotate(req=Sum("requests"), fail=Sum("failures"))
    }
    return [
        ((start + timedelta(days=i)).isoformat(), *rows.get(start + timedelta(days=i), (0, 0))) for i in range(days)
    ]


def usage_totals(organization: Organization, *, days: int = 7) -> int:
    """Requests of all the organization's keys in the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    return (
        UsageBucket.objects.filter(key__organization=organization, hour__gte=since).aggregate(t=Sum("requests"))["t"]
        or 0
    )
