"""Admin building blocks for records that are evidence, not data to edit (audit events, deliveries, jobs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown and searched in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Related rows listed under their parent, read-only, each linking to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrganizationFilter(admin.RelatedOnlyFieldListFilter):
    """The organization filter with each choice labelled "name (slug)": two teams may share a name, and a
    filter showing "Acme" twice cannot be told apart."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, str | StrPromise]]:
        choices = super().field_choices(field, request, model_admin)
        slugs = dict(
            field.related_model._default_manager.filter(pk__in=[pk for pk, _ in choices]).values_list("pk", "slug")
        )
        return [(pk, f"{label} ({slugs.get(pk, pk)})") for pk, label in choices]
