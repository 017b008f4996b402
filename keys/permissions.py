"""DRF permission classes for credential scopes (DESIGN 4.3 and 6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.api import InsufficientScope


def required_scopes_for(view: Any, request: Request) -> list[str]:
    """`view.required_scopes` as a list, or a dict keyed by HTTP method (or by ViewSet action)."""
    getter = getattr(view, "get_required_scopes", None)
    if callable(getter):
        return list(getter(request))
    declared = getattr(view, "required_scopes", None)
    if declared is None:
        raise exceptions.APIException("The view uses HasScopes but declares no required_scopes.")
    if isinstance(declared, dict):
        action = getattr(view, "action", None)
        scopes = declared.get(action) if action in declared else declared.get(request.method or "", [])
        return list(scopes or [])
    return list(declared)


def missing_scopes(credential: Any, required: Iterable[str]) -> list[str]:
    allows = credential.allows
    return [scope for scope in required if not allows(scope)]


class HasScopes(BasePermission):
    """Grant access when the request's credential holds every scope in the view's `required_scopes`.

    Works for every credential kind (API keys, OAuth/JWT tokens, signed requests, certificates):
    each exposes `allows(scope)`. A request without a credential is refused.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        credential = request.auth
        if credential is None or not hasattr(credential, "allows"):
            if request.user and request.user.is_authenticated:
                raise exceptions.PermissionDenied("This endpoint needs a credential with scopes.")
            return False
        missing = missing_scopes(credential, required_scopes_for(view, request))
        if missing:
            raise InsufficientScope(missing)
        return True
