"""API keys in the admin: searchable and filterable, never showing a secret or its hash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from audit.services import audit_record
from keys import services
from keys.models import (
    APIKey,
    CertificateAuthority,
    ClientCertificate,
    CredentialPolicy,
    KeyStatus,
    RotationPolicy,
    SealedSecret,
    SigningSecret,
)
from lib.admin import OrganizationFilter, ReadOnlyAdmin

# The admin's field groups, in the order every credential page shows them.
_CREATED = ("created_by_label", "created_at", "expires_at")
_USE = ("allowed_networks", "rate_limit", "last_used_at", "last_used_ip")
_REVOKED = ("revoked_at", "revoked_by", "revoked_reason")
_X509 = ("subject", "issuer", "serial")
# What every revocable credential shows: who owns it and how, then its use and its revocation.
_OWNED = ("name", "organization", "environment", "scopes", "status")
_USE_AND_END = (*_USE, *_REVOKED, "metadata")


class ExpiryFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("never", "Never expires"),
            ("expired", "Expired"),
            ("7d", "Expires within 7 days"),
            ("30d", "Expires within 30 days"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> QuerySet[APIKey]:
        now = timezone.now()
        value = self.value()
        if value == "never":
            return queryset.filter(expires_at__isnull=True)
        if value == "expired":
            return queryset.filter(expires_at__lte=now)
        if value in ("7d", "30d"):
            return queryset.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=int(value[:-1])))
        return queryset


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin[APIKey]):
    list_display = (
        "id",
        "name",
        "organization",
        "environment",
        "state",
        *_CREATED,
        "last_used_at",
    )
    list_filter = ("status", "environment", ExpiryFilter, ("organization", OrganizationFilter))
    search_fields = ("id", "name", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    # The hash is excluded along with everything else that is not listed here.
    fields = (
        "id",
        "display_prefix",
        "name",
        "organization",
        "environment",
        "scopes",
        "status",
        *_CREATED,
        *_USE,
        "predecessor",
        "rolled_at",
        "grace_until",
        *_REVOKED,
        "metadata",
    )
    readonly_fields = fields
    actions = ("revoke_selected", "revoke_as_leaked")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return (
            False  # keys are created in the portal, the API or `manage.py create_api_key`, so the secret is shown once
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: history stays

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("keys.change_apikey"))

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        keys = list(queryset.exclude(status=KeyStatus.REVOKED).select_related("organization"))
        for key in keys:
            services.key_revoke(key=key, actor=request.user, reason="Revoked by an administrator", request=request)  # type: ignore[arg-type]
        audit_record(
            action="admin.keys_bulk_revoked",
            actor=request.user,
            target_type="api_key",
            request=request,
            metadata={"keys": [k.id for k in keys], "count": len(keys)},
        )
        self.message_user(request, f"Revoked {len(keys)} key(s).", messages.SUCCESS)

    @admin.action(description="Revoke as leaked", permissions=["revoke"])
    def revoke_as_leaked(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> TemplateResponse | None:
        """Ask where the keys were found, then report each one leaked (revoke, audit, `key.leaked`)."""
        form = LeakReportForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            keys = list(queryset.select_related("organization"))
            for key in keys:
                services.key_report_leaked(
                    key=key, actor=request.user, source_url=form.cleaned_data["source_url"], request=request
                )
            self.message_user(request, f"Revoked {len(keys)} key(s) as leaked.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke as leaked",
            "opts": self.model._meta,
            "keys": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/keys/apikey/revoke_as_leaked.html", context)


class LeakReportForm(forms.Form):
    source_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Where it was found",
        help_text="The page, commit or log that exposed the keys (optional; sent in the key.leaked event).",
    )


# --- signing secrets and client certificates: never a secret, revoke action, audited ------------------


class _CredentialAdmin(admin.ModelAdmin[Any]):
    """Read-only admin for a credential kind; the only change is revoking, through its service."""

    list_filter: ClassVar[tuple[Any, ...]] = (
        "status",
        "environment",
        ExpiryFilter,
        ("organization", OrganizationFilter),
    )
    list_select_related: ClassVar[tuple[str, ...]] = ("organization",)
    actions = ("revoke_selected",)
    target_type = ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created in the portal or the API, so the secret is shown once and the rules apply

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: history stays

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(f"keys.change_{self.model._meta.model_name}"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or ()  # every field shown is read-only

    # Each kind's revoke service is `services.<target_type>_revoke`; it takes the object by this keyword.
    revoke_argument: ClassVar[str]

    def revoke_one(self, obj: Any, request: HttpRequest) -> None:
        revoke = getattr(services, f"{self.target_type}_revoke")
        revoke(**{self.revoke_argument: obj}, actor=request.user, reason="Revoked by an administrator", request=request)

    @admin.action(description="Revoke selected", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        items = list(queryset.exclude(status=KeyStatus.REVOKED).select_related("organization"))
        for obj in items:
            self.revoke_one(obj, request)
        audit_record(
            action=f"admin.{self.target_type}s_bulk_revoked",
            actor=request.user,
            target_type=self.target_type,
            request=request,
            metadata={"ids": [str(o.pk) for o in items], "count": len(items)},
        )
        self.message_user(request, f"Revoked {len(items)}.", messages.SUCCESS)


@admin.register(SigningSecret)
class SigningSecretAdmin(_CredentialAdmin):
    target_type = "signing_secret"
    list_display = ("key_id", "name", "organization", "environment", "state", "expires_at", "last_used_at")
    search_fields = ("id", "name", "organization__name", "organization__slug")
    # The encrypted secrets are left out along with everything else not listed here.
    fields = (
        "key_id",
        *_OWNED,
        "api_key",
        *_CREATED,
        "secret_version",
        "rotated_at",
        "previous_valid_until",
        *_USE_AND_END,
    )
    revoke_argument = "secret"


@admin.register(ClientCertificate)
class ClientCertificateAdmin(_CredentialAdmin):
    target_type = "client_certificate"
    list_display = (
        "display_id",
        "name",
        "organization",
        "match_type",
        "environment",
        "state",
        "expires_at",
        "last_used_at",
    )
    list_filter = ("match_type", *_CredentialAdmin.list_filter)
    search_fields = ("id", "name", "thumbprint", "match_value", "subject", "organization__name", "organization__slug")
    list_select_related = ("organization", "authority")
    fields = (
        "display_id",
        *_OWNED,
        "match_type",
        "match_value",
        "authority",
        "thumbprint",
        *_X509,
        "sans",
        "not_before",
        "not_after",
        *_CREATED,
        *_USE_AND_END,
    )
    revoke_argument = "certificate"


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(_CredentialAdmin):
    target_type = "certificate_authority"
    list_display = ("id", "name", "organization", "subject", "state", "not_after", "created_at")
    list_filter = ("status", ("organization", OrganizationFilter))
    search_fields = ("id", "name", "subject", "thumbprint", "organization__name", "organization__slug")
    fields = (
        "id",
        "name",
        "organization",
        "status",
        *_X509,
        "thumbprint",
        "not_before",
        "not_after",
        "created_by_label",
        "created_at",
        *_REVOKED,
        "certificate_pem",
    )
    revoke_argument = "authority"


# The scheduled jobs' records (rotation policies, sealed successors, emails): keys/admin_jobs.py.


@admin.register(RotationPolicy)
class RotationPolicyAdmin(ReadOnlyAdmin):
    list_display = ("key", "interval", "grace", "enabled", "next_rotation_at", "last_rotated_at", "rotations")
    list_filter = ("enabled",)
    search_fields = ("key__id", "key__name", "key__organization__slug")
    list_select_related = ("key",)
    readonly_fields = [f.name for f in RotationPolicy._meta.fields]


@admin.register(SealedSecret)
class SealedSecretAdmin(ReadOnlyAdmin):
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


@admin.register(CredentialPolicy)
class CredentialPolicyAdmin(ReadOnlyAdmin):
    """Each team's key-hygiene policy, for audit; owners and admins change it on its portal page (audited)."""

    list_display = (
        "organization",
        "max_lifetime_days",
        "require_live_expiry",
        "require_live_allowlist",
        "max_age_days",
        "rotation_interval_days",
        "updated_at",
    )
    list_filter = ("require_live_expiry", "require_live_allowlist")
    search_fields = ("organization__slug", "organization__name")
    list_select_related = ("organization",)
    readonly_fields = [f.name for f in CredentialPolicy._meta.fields]
