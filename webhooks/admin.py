"""Webhooks in the admin: endpoints, messages, deliveries and attempts, read-only and never showing a secret.

The two actions (disable endpoints, retry deliveries) go through the services, which audit each
change, and record one more audit event for the bulk action itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.services import audit_admin_action
from lib.admin import OrganizationFilter, ReadOnlyAdmin, ReadOnlyInline
from webhooks import services
from webhooks.models import Attempt, Delivery, DisabledReason, Endpoint, Message


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ("number", "started_at", "duration_ms", "status_code", "error", "succeeded", "next_retry_at", "trigger")


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "url", "organization", "is_enabled", "disabled_reason", "failing_since", "created_at")
    list_filter = ("is_enabled", "disabled_reason", ("organization", OrganizationFilter))
    search_fields = ("id", "url", "description", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    # Secrets are a separate model that is neither registered nor inlined, so no page ever renders one.
    fields = (
        "id",
        "organization",
        "url",
        "description",
        "event_types",
        "is_enabled",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "created_by_label",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("disable_selected",)

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("webhooks.change_endpoint"))

    @admin.action(description="Disable selected endpoints", permissions=["disable"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        endpoints = list(queryset.filter(is_enabled=True).select_related("organization"))
        for endpoint in endpoints:
            services.endpoint_disable(
                endpoint=endpoint, actor=request.user, reason=DisabledReason.ADMIN, request=request
            )
        audit_admin_action(
            request,
            "admin.webhook_endpoints_disabled",
            target_type="webhook_endpoint",
            endpoints=[e.id for e in endpoints],
            count=len(endpoints),
        )
        self.message_user(request, f"Disabled {len(endpoints)} endpoint(s).", messages.SUCCESS)


class RetriesDeliveries(ReadOnlyAdmin):
    """An admin with a bulk action that retries deliveries (for staff who may change deliveries)."""

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("webhooks.change_delivery"))

    def retry(self, request: HttpRequest, deliveries: list[Delivery], action: str, /, **selected: Any) -> None:
        """Retry each delivery through the service (which audits it), skipping those it refuses; then record
        the bulk action once, with `selected`, and tell the staff member."""
        done = skipped = 0
        for delivery in deliveries:
            try:
                services.delivery_retry(delivery=delivery, actor=request.user, request=request)
            except services.WebhookConflict:
                skipped += 1
            else:
                done += 1
        # The event is about what was selected: webhook_message or webhook_delivery.
        target_type = f"webhook_{self.opts.model_name}"
        audit_admin_action(request, action, target_type=target_type, **selected, retried=done, skipped=skipped)
        self.message_user(request, f"Queued {done} delivery retries; skipped {skipped}.", messages.SUCCESS)


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ("endpoint", "status", "attempt_count", "next_attempt_at", "last_status_code", "last_error")


@admin.register(Message)
class MessageAdmin(RetriesDeliveries):
    list_display = ("id", "event_type", "organization", "created_at")
    list_filter = ("event_type", ("created_at", admin.DateFieldListFilter))
    search_fields = ("id", "event_type", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    date_hierarchy = "created_at"
    fields = ("id", "organization", "event_type", "created_at", "payload")
    readonly_fields = fields
    inlines = (DeliveryInline,)
    actions = ("retry_selected",)

    @admin.action(description="Retry the deliveries of selected messages", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        deliveries = list(Delivery.objects.filter(message__in=queryset).select_related("endpoint__organization"))
        self.retry(
            request,
            deliveries,
            "admin.webhook_messages_retried",
            messages=list(queryset.values_list("id", flat=True)[:100]),
        )


@admin.register(Delivery)
class DeliveryAdmin(RetriesDeliveries):
    list_display = (
        "message",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "created_at",
    )
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("message__id", "endpoint__id", "endpoint__url", "message__event_type")
    list_select_related = ("message", "endpoint")
    fields = (
        "message",
        "endpoint",
        "status",
        "attempt_count",
        "round_attempts",
        "next_attempt_at",
        "claimed_until",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "succeeded_at",
        "created_at",
    )
    readonly_fields = fields
    inlines = (AttemptInline,)
    actions = ("retry_selected",)

    @admin.action(description="Retry selected deliveries", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset.select_related("endpoint__organization"))
        self.retry(request, deliveries, "admin.webhook_deliveries_retried", deliveries=[d.pk for d in deliveries][:100])


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("delivery", "number", "started_at", "status_code", "succeeded", "duration_ms", "trigger")
    list_filter = ("succeeded", "trigger", ("started_at", admin.DateFieldListFilter))
    search_fields = ("delivery__message__id", "delivery__endpoint__id")
    list_select_related = ("delivery",)
    fields = (
        "delivery",
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "succeeded",
        "error",
        "next_retry_at",
        "trigger",
        "response_body",
    )
    readonly_fields = fields
