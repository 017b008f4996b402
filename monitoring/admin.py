"""Monitoring's records in the admin: alerts (acknowledge/resolve in bulk), expiry notices, usage per hour and
per source network. Read-only; the only changes are the alert actions, through their services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from lib.admin import OrganizationFilter, ReadOnlyAdmin
from monitoring.models import Alert, AlertStatus, ExpiryNotice, UsageBucket, UsageNetwork
from monitoring.services import alerts


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("kind", "key", "organization", "subject", "status", "observed", "baseline", "hour", "last_seen_at")
    list_filter = ("status", "kind", ("organization", OrganizationFilter))
    search_fields = ("key__id", "key__name", "organization__name", "organization__slug", "subject")
    list_select_related = ("key", "organization")
    date_hierarchy = "last_seen_at"
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ("acknowledge_selected", "resolve_selected")

    def has_act_permission(self, request: HttpRequest) -> bool:
        # The content type moved with the model (monitoring 0001), so grants of keys.change_alert carry over.
        return bool(request.user.has_perm("monitoring.change_alert"))

    def _act(self, request: HttpRequest, queryset: QuerySet[Alert], service: Callable[..., Any], done: str) -> None:
        """Run the alert service on each chosen alert (it audits each) and say how many."""
        chosen = list(queryset)
        for alert in chosen:
            service(alert=alert, actor=request.user, request=request)
        self.message_user(request, f"{done} {len(chosen)} alert(s).", messages.SUCCESS)

    @admin.action(description="Acknowledge selected alerts", permissions=["act"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._act(request, queryset.filter(status=AlertStatus.OPEN), alerts.alert_acknowledge, "Acknowledged")

    @admin.action(description="Resolve selected alerts", permissions=["act"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        self._act(request, queryset.exclude(status=AlertStatus.RESOLVED), alerts.alert_resolve, "Resolved")


@admin.register(ExpiryNotice)
class ExpiryNoticeAdmin(ReadOnlyAdmin):
    list_display = ("credential_kind", "credential_id", "organization", "threshold_days", "expires_at", "created_at")
    list_filter = ("credential_kind", "threshold_days")
    search_fields = ("credential_id", "organization__slug")
    readonly_fields = [f.name for f in ExpiryNotice._meta.fields]


@admin.register(UsageBucket)
class UsageBucketAdmin(ReadOnlyAdmin):
    list_display = ("key", "hour", "requests", "failures")
    list_filter = (("hour", admin.DateFieldListFilter),)
    search_fields = ("key__id", "key__name")
    readonly_fields = ("key", "hour", "requests", "failures")


@admin.register(UsageNetwork)
class UsageNetworkAdmin(ReadOnlyAdmin):
    list_display = ("key", "hour", "network", "requests", "blocked")
    list_filter = (("hour", admin.DateFieldListFilter),)
    search_fields = ("key__id", "network")
    readonly_fields = ("key", "hour", "network", "requests", "blocked")
