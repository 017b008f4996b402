"""The jobs' records in the admin: rotation policies, sealed successors. Read-only; never a
secret, ciphertext or hash. (Alerts, expiry notices and usage: monitoring/admin.py; emails: accounts/admin.py.)"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from keys.models import RotationPolicy, SealedSecret


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
