"""The jobs' records in the admin: alerts (acknowledge/resolve in bulk), rotation policies, sealed successors,
expiry notices and per-network usage (the email outbox is in accounts/admin.py). Read-only; never a secret, ciphertext or hash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from keys.models import (
    Alert,
    AlertStatus,
    ExpiryNotice,
    RotationPolicy,
    SealedSecret,
    UsageNetwork,
)
from keys.services import anomalies


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(_ReadOnly):
    list_display = ("kind", "key", "organization", "subject", "status", "observed", "baseline", "hour", "last_seen_at")
    list_filter = ("status", "kind", ("organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("key__id", "key__name", "organization__name", "organization__slug", "subject")
    list_select_related = ("key", "organization")
    date_hierarchy = "last_seen_at"
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ("acknowledge_selected", "resolve_selected")

    def has_act_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("keys.change_alert"))

    @admin.action(description="Acknowledge selected alerts", permissions=["act"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        alerts = list(queryset.filter(status=AlertStatus.OPEN))
        for alert in alerts:
            anomalies.alert_acknowledge(alert=alert, actor=request.user, request=request)  # type: ignore[arg-type]
        self.message_user(request, f"Acknowledged {len(alerts)} alert(s).", messages.SUCCESS)

    @admin.action(description="Resolve selected alerts", permissions=["act"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        alerts = list(queryset.exclude(status=AlertStatus.RESOLVED))
        for alert in alerts:
            anomalies.alert_resolve(alert=alert, actor=request.user, request=request)  # type: ignore[arg-type]
        self.message_user(request, f"Resolved {len(alerts)} alert(s).", messages.SUCCESS)


@admin.register(RotationPolicy)
class RotationPolicyAdmin(_ReadOnly):
    list_display = ("key", "interval", "grace", "enabled", "next_rotation_at", "last_rotated_at", "rotations")
    list_filter = ("enabled",)
    search_fields = ("key__id", "key__name", "key__organization__slug")
    list_select_related = ("key",)
    readonly_fields = [f.name for f in RotationPolicy._meta.fields]


@admin.register(SealedSecret)
class SealedSecretAdmin(_ReadOnly):
    list_display = ("key", "available", "created_at", "destroy_at", "revealed_at", "revealed_by", "destroyed_reason")
    list_filter = ("destroyed_reason",)
    search_fields = ("key__id", "key__name")
    list_select_related = ("key", "revealed_by")
    # The ciphertext is left out on purpose: the admin shows that a secret waits, never the secret.
    fields = ("key", "available", "created_at", "destroy_at", "revealed_at", "revealed_by", "destroyed_at")
    readonly_fields = fields

    @admin.display(boolean=True, description="waiting to be revealed")
    def available(self, obj: SealedSecret) -> bool:
        return obj.is_available


@admin.register(ExpiryNotice)
class ExpiryNoticeAdmin(_ReadOnly):
    list_display = ("credential_kind", "credential_id", "organization", "threshold_days", "expires_at", "created_at")
    list_filter = ("credential_kind", "threshold_days")
    search_fields = ("credential_id", "organization__slug")
    readonly_fields = [f.name for f in ExpiryNotice._meta.fields]


@admin.register(UsageNetwork)
class UsageNetworkAdmin(_ReadOnly):
    list_display = ("key", "hour", "network", "requests", "blocked")
    list_filter = (("hour", admin.DateFieldListFilter),)
    search_fields = ("key__id", "network")
    readonly_fields = ("key", "hour", "network", "requests", "blocked")
