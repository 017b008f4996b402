"""Reads of keys and their usage."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization
from keys.models import APIKey, KeyStatus, UsageBucket


def keys_for_org(
    organization: Organization, *, search: str = "", state: str = "", environment: str = ""
) -> QuerySet[APIKey]:
    """The organization's keys, newest first, filtered as the portal and API list allow."""
    qs = APIKey.objects.filter(organization=organization).select_related("organization", "successor")
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(id__startswith=search.rsplit("_", 1)[-1][:8]))
    now = timezone.now()
    expired = Q(expires_at__lte=now) | Q(grace_until__lte=now)
    if state == "active":
        qs = qs.filter(status=KeyStatus.ACTIVE).exclude(expired)
    elif state == "expired":
        qs = qs.filter(status=KeyStatus.ACTIVE).filter(expired)
    elif state in (KeyStatus.DISABLED, KeyStatus.REVOKED):
        qs = qs.filter(status=state)
    if environment in ("live", "test"):
        qs = qs.filter(environment=environment)
    return qs.order_by("-created_at", "id")


def key_for_org(organization: Organization, key_id: str) -> APIKey:
    """One key of the organization; another organization's key is a 404, exactly like a missing one."""
    key = (
        APIKey.objects.select_related("organization", "created_by", "revoked_by")
        .filter(organization=organization, pk=key_id)
        .first()
    )
    if key is None:
        raise Http404
    return key


def key_successor(key: APIKey) -> APIKey | None:
    return APIKey.objects.filter(predecessor=key).first()


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


def key_counts(organization: Organization) -> dict[str, int]:
    now = timezone.now()
    qs = APIKey.objects.filter(organization=organization)
    live = (
        Q(status=KeyStatus.ACTIVE)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(grace_until__isnull=True) | Q(grace_until__gt=now))
    )
    return {
        "total": qs.count(),
        "active": qs.filter(live).count(),
        "expiring_soon": qs.filter(live, expires_at__lte=now + timedelta(days=7)).count(),
        "revoked": qs.filter(status=KeyStatus.REVOKED).count(),
    }


def usage_totals(organization: Organization, *, days: int = 7) -> int:
    since = timezone.now() - timedelta(days=days)
    return (
        UsageBucket.objects.filter(key__organization=organization, hour__gte=since).aggregate(t=Sum("requests"))["t"]
        or 0
    )
