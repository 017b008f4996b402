"""Monitoring's panels on keys' pages (keys/panels.py): the alerts banner, usage on the dashboard and on the
key page, who still uses a rolling key, and the key's open alerts. Registered in `MonitoringConfig.ready()`."""

from __future__ import annotations

from typing import Any

from django.template import Context

from keys.core.panels import register_panel
from monitoring.selectors import key_alerts, open_alert_count, recent_networks, usage_daily, usage_hourly, usage_totals
from monitoring.usage_chart import bar_chart


def _slug(context: Context) -> str:
    org = context.get("org")
    slug = getattr(org, "slug", None)
    if slug:
        return str(slug)
    request = context.get("request")
    session = getattr(request, "session", None)
    return str(session.get("org", "")) if session is not None else ""


def alerts_banner(context: Context) -> dict[str, Any] | None:
    """Open alerts of the current team, for members only; not on the alerts page itself."""
    request = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if user is None or not user.is_authenticated or (match is not None and match.namespace == "alerts"):
        return None
    slug = _slug(context)
    count = open_alert_count(user=user, slug=slug)
    return {"count": count, "slug": slug} if count else None


def dashboard_requests(context: Context) -> dict[str, Any] | None:
    org = context.get("org")
    return {"requests_7d": usage_totals(org, days=7)} if org is not None else None


def usage_chart(context: Context) -> dict[str, Any] | None:
    """Daily bars for the last 7 days, or hourly bars for the last 24 hours with `?usage=hourly`."""
    key = context.get("key")
    if key is None:
        return None
    request = context.get("request")
    hourly_view = getattr(request, "GET", {}).get("usage") == "hourly"
    hourly, daily = usage_hourly(key), usage_daily(key)
    return {
        "chart": bar_chart(hourly[-24:], hourly=True) if hourly_view else bar_chart(daily[-7:], hourly=False),
        "usage_7d": sum(r for _, r, _ in hourly),
        "failures_7d": sum(f for _, _, f in hourly),
        "usage_30d": sum(r for _, r, _ in daily),
    }


def key_top(context: Context) -> dict[str, Any] | None:
    """A rolling key's recent source networks ("who is still on the old key") and the key's open alerts."""
    key = context.get("key")
    if key is None:
        return None
    rolling = key.state == "rolling"
    alerts = key_alerts(key)
    if not rolling and not alerts:
        return None
    return {
        "key": key,
        "org": context.get("org"),
        "networks": recent_networks(key) if rolling else [],
        "alerts": alerts,
    }


def register() -> None:
    register_panel("page.banner", "monitoring/_alerts_banner.html", alerts_banner)
    register_panel("dashboard.stats", "monitoring/_dashboard_requests.html", dashboard_requests)
    register_panel("key.top", "monitoring/_key_top.html", key_top)
    register_panel("key.main", "monitoring/_usage_chart.html", usage_chart)
