"""Users, organizations, memberships, invitations and the email outbox in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.departures import user_deactivate
from accounts.models import Invitation, Membership, Organization, OutboundEmail, User
from accounts.tasks import send_email
from lib.admin import OrganizationFilter


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "name")
    list_filter = ("is_staff", "is_superuser", "is_active")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ("deactivate",)

    @admin.action(description="Deactivate (apply each team's departure policy, sign out everywhere)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        for user in users:
            user_deactivate(user=user, actor=request.user, request=request)  # type: ignore[arg-type]
        self.message_user(request, f"Deactivated {len(users)} account(s).", messages.SUCCESS)


class MembershipInline(admin.TabularInline[Membership, Organization]):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "slug", "is_personal", "require_mfa", "created_at")
    search_fields = ("name", "slug")
    list_filter = ("is_personal",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", ("organization", OrganizationFilter))
    search_fields = ("user__email", "organization__name", "organization__slug")
    autocomplete_fields = ("user", "organization")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "organization", "role", "invited_by", "created_at", "expires_at", "accepted_at")
    search_fields = ("email", "organization__name")
    exclude = ("token_hash",)
    readonly_fields = ("organization", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    """The outbox, read-only: what was sent, what waits and why. The context never holds a secret."""

    list_display = ("template", "organization", "created_at", "sent_at", "cancelled_at", "attempts", "last_error")
    list_filter = ("template", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("template", "organization__slug")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ("send_again",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.change_outboundemail"))

    @admin.action(description="Send unsent emails now", permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        ids = list(queryset.filter(sent_at__isnull=True, cancelled_at__isnull=True).values_list("pk", flat=True))
        for email_id in ids:
            send_email.delay(email_id)  # the claim in the task makes a duplicate harmless
        self.message_user(request, f"Queued {len(ids)} email(s).", messages.SUCCESS)
