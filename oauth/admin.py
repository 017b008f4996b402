"""OAuth in the admin: apps with their organization, tokens without their values, revoke actions that audit.

DOT registers its own admin classes first (it is earlier in INSTALLED_APPS); these replace them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oauth import services
from oauth.models import Application, CertificateBinding, IssuedJWT

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

for model in (Application, AccessToken, RefreshToken, get_grant_model(), get_id_token_model()):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class NoAddNoDeleteAdmin(admin.ModelAdmin[Any]):
    """Rows created and removed only through the services (portal, token endpoint), which audit them."""


def revoke_each(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    tokens: Iterable[Any],
    revoke: Callable[[Any], Any],
    noun: str,
) -> None:
    """Revoke every token through the service (which also audits it) and say how many."""
    count = 0
    for token in tokens:
        revoke(token)
        count += 1
    model_admin.message_user(request, f"Revoked {count} {noun}(s).", messages.SUCCESS)


@admin.register(Application)
class ApplicationAdmin(NoAddNoDeleteAdmin):
    """Apps are registered in the portal, where the secret is shown once, and deleted there too: its service
    revokes the tokens and audits the event."""

    list_display = (
        "name",
        "client_id",
        "organization",
        "client_type",
        "grant_types",
        "can_introspect",
        "tls_client_certificate_bound_access_tokens",
        "created_at",
    )
    list_filter = (
        "client_type",
        "can_introspect",
        "tls_client_certificate_bound_access_tokens",
        ("organization", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "client_id", "organization__name", "organization__slug")
    list_select_related = ("organization",)
    # The secret hashes are never shown; secrets are created and rotated in the portal.
    fields = (
        "name",
        "client_id",
        "organization",
        "created_by",
        "client_type",
        "grant_types",
        "redirect_uris",
        "allowed_scopes",
        "homepage_url",
        "logo_url",
        "can_introspect",
        "tls_client_certificate_bound_access_tokens",
        "secret_rotated_at",
        "previous_secret_expires_at",
        "created_at",
        "updated",
    )
    # Only the name and introspection are edited here. The mTLS binding is set by the team in the portal,
    # which checks that mTLS is configured.
    readonly_fields = tuple(field for field in fields if field not in ("name", "can_introspect"))


@admin.register(AccessToken)
class AccessTokenAdmin(NoAddNoDeleteAdmin):
    """Access tokens by app, organization and person; the value is never stored, so never shown."""

    list_display = ("pk", "application", "organization", "user", "scope", "created", "expires")
    list_select_related = ("application__organization", "user")
    list_filter = (("application", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("application__client_id", "application__name", "user__email")
    fields = ("application", "user", "scope", "created", "expires", "jti", "certificate")
    readonly_fields = fields
    actions = ("revoke_tokens",)

    @admin.display(description="organization")
    def organization(self, obj: Any) -> Any:
        return obj.application.organization if obj.application else None

    @admin.display(description="JWT id")
    def jti(self, obj: Any) -> str:
        issued = IssuedJWT.objects.filter(access_token=obj).first()
        return issued.jti if issued else "—"

    @admin.display(description="bound to certificate (x5t#S256)")
    def certificate(self, obj: Any) -> str:
        binding = CertificateBinding.objects.filter(access_token=obj).first()
        return binding.thumbprint if binding else "—"

    # No delete: revoke instead, which also revokes the bound refresh token and records the event.
    @admin.action(description="Revoke selected access tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        revoke_each(
            self,
            request,
            queryset.select_related("application__organization", "user"),
            lambda token: services.token_revoke(token=token, actor=request.user, request=request, reason="admin"),  # type: ignore[arg-type]
            "access token",
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(NoAddNoDeleteAdmin):
    list_display = ("pk", "application", "user", "created", "revoked")
    list_select_related = ("application", "user")
    list_filter = (("application", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("application__client_id", "application__name", "user__email")
    fields = ("application", "user", "token_family", "created", "revoked")
    readonly_fields = fields
    actions = ("revoke_tokens",)

    @admin.action(description="Revoke selected refresh tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        revoke_each(
            self,
            request,
            queryset.filter(revoked__isnull=True).select_related("application__organization", "user"),
            lambda token: services.refresh_token_revoke(token=token, actor=request.user, request=request),  # type: ignore[arg-type]
            "refresh token",
        )
