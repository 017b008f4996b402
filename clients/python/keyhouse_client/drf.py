"""DRF classes for a service that is not the platform: RemoteKeyAuthentication and HasScopes.

    REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["keyhouse_client.drf.RemoteKeyAuthentication"]}

    class OrderList(APIView):
        permission_classes = [HasScopes]
        required_scopes = {"GET": ["orders:read"], "POST": ["orders:write"]}

DRF's own contract: `None` when the request presents no credential, `AuthenticationFailed` (401,
one message whatever the reason) when it presents a bad one, `(user, credential)` on success.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from keyhouse_client import scopes as scope_rules
from keyhouse_client.credential import AuthenticationFailed, Credential, PlatformUnavailable
from keyhouse_client.django_settings import get_kit
from keyhouse_client.gate import MESSAGE_401
from keyhouse_client.kit import presented

log = logging.getLogger("keyhouse_client")


class ServiceUser:
    """`request.user` for a request made with a credential: authenticated, but no person of this service."""

    is_authenticated = True
    is_anonymous = False
    pk = None

    def __init__(self, credential: Credential) -> None:
        self.credential = credential

    @property
    def organization(self) -> str | int | None:
        """The team the credential belongs to (the credential is the one source of it)."""
        return self.credential.organization

    def __str__(self) -> str:
        return f"{self.credential.kind}:{self.credential.id}"


class VerificationUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Credentials cannot be checked right now."
    default_code = "verification_unavailable"


class RemoteKeyAuthentication(BaseAuthentication):
    """API keys (`Authorization: Bearer` or `X-API-Key`) and JWT access tokens, checked by the platform."""

    def authenticate(self, request: Request) -> tuple[ServiceUser, Credential] | None:
        found = presented(request.headers.get("Authorization"), request.headers.get("X-API-Key"))
        if found is None:
            return None
        try:
            credential = get_kit().check(found, ip=request.META.get("REMOTE_ADDR"))
        except AuthenticationFailed as exc:
            log.info("keyhouse: refused credential: %s", exc.reason)
            raise exceptions.AuthenticationFailed(MESSAGE_401) from None
        except PlatformUnavailable as exc:
            log.warning("keyhouse: platform unavailable: %s", exc)
            raise VerificationUnavailable() from None
        return ServiceUser(credential), credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def required_scopes_for(view: Any, request: Request) -> list[str]:
    """What the view needs: its `get_required_scopes(request)` when it has one, else `required_scopes`."""
    if callable(getattr(view, "get_required_scopes", None)):
        return list(view.get_required_scopes(request))
    if getattr(view, "required_scopes", None) is None:
        raise exceptions.APIException("The view uses HasScopes but declares no required_scopes.")
    return scope_rules.declared_for(
        view.required_scopes, action=getattr(view, "action", None), method=request.method or ""
    )


class InsufficientScope(exceptions.PermissionDenied):
    """403 naming the missing scopes, as the platform answers."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"This credential lacks the required scope: {', '.join(missing)}.")
        self.missing_scopes = missing


class HasScopes(BasePermission):
    """Grant access when the request's credential holds every scope in the view's `required_scopes`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        credential = request.auth
        if not isinstance(credential, Credential):
            return False
        absent = credential.missing(required_scopes_for(view, request))
        if absent:
            raise InsufficientScope(absent)
        return True
