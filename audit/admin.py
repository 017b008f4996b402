"""The audit log in the admin: read-only, filterable, searchable."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditChainCheck, AuditEvent
from lib.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "organization", "action", "target_type", "target_id", "ip")
    list_filter = (
        "action",
        ("created_at", admin.DateFieldListFilter),
        ("organization", admin.RelatedOnlyFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("actor_label", "action", "target_id", "organization__name", "organization__slug", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(AuditChainCheck)
class AuditChainCheckAdmin(ReadOnlyAdmin):
    """Results of the daily hash-chain verification (`audit.tasks.verify_audit_chain`)."""

    list_display = ("day", "ok", "events_checked", "first_bad_id", "message", "finished_at")
    list_filter = ("ok",)
    readonly_fields = [f.name for f in AuditChainCheck._meta.fields]
