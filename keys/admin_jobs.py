"""The jobs' records in the admin: rotation policies, sealed successors and emails. Read-only; never a
secret, ciphertext or hash. (Alerts, expiry notices and usage: monitoring/admin.py.)"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from keys.models import Notification, RotationPolicy, SealedSecret


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    list_display = ("template", "organization", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("template", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("template", "organization__slug")
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ("send_again",)

    def has_send_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("keys.change_notification"))

    @admin.action(description="Send unsent emails now", permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from keys.tasks import send_notification

        ids = list(queryset.filter(sent_at__isnull=True).values_list("pk", flat=True))
        for notification_id in ids:
            send_notification.delay(notification_id)
        self.message_user(request, f"Queued {len(ids)} email(s).", messages.SUCCESS)
