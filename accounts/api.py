"""What every app's management API shares: who is calling for which organization, access by role or
scope, sudo, and the error types. Views in keys/, webhooks/ and oauth/ reuse these instead of copies.

accounts sits below every credential app, so a credential is duck-typed: anything on `request.auth`
with `allows(scope)` and `organization`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import Membership, Organization
from accounts.selectors import default_organization, membership_for
from accounts.services import sudo_is_active

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this."
    error_code = "conflict"


class ReauthenticationRequired(exceptions.PermissionDenied):
    default_detail = "Confirm your password in the portal (sudo mode) before this action."
    error_code = "reauthentication_required"


class InsufficientScope(exceptions.PermissionDenied):
    """403 that names the missing scope, in the same shape as every other scoped endpoint."""

    error_code = "insufficient_scope"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"This credential lacks the required scope: {', '.join(missing)}.")
        self.error_detail = {"missing_scopes": missing}
        self.extra_headers = {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(missing)}"'}


def credential_of(request: Request) -> Any:
    """The credential behind the request, or None for a portal session."""
    auth = request.auth
    return auth if auth is not None and hasattr(auth, "allows") and hasattr(auth, "organization") else None


@dataclass
class Caller:
    """Who is calling, and for which organization."""

    organization: Organization
    actor: Any  # a User, or the credential acting
    membership: Membership | None


def caller_for(request: Request) -> Caller:
    """A credential acts for its own organization; a person for `?organization=` or their current team.

    Raises Http404 for a person outside the organization (outsiders never learn that it exists).
    """
    credential = credential_of(request)
    if credential is not None:
        return Caller(credential.organization, credential, None)
    user: Any = request.user
    requested = request.query_params.get("organization")
    if requested:
        membership = membership_for(user, requested[:60])
    else:
        org = default_organization(user, request.session.get("org"))
        if org is None:
            raise Http404
        membership = membership_for(user, org.slug)
    return Caller(membership.organization, user, membership)


def required_scopes(view: Any, method: str, *, default: list[str]) -> list[str]:
    """The scopes a view declares for `method`; a method it did not declare needs `default` (closed)."""
    declared = getattr(view, "required_scopes", {})
    method = "GET" if method in ("HEAD", "OPTIONS") else method
    return list(declared.get(method, default)) if isinstance(declared, dict) else list(declared)


class OrganizationAccess(BasePermission):
    """Credentials need the view's scope for the method; people need a membership, and a writer's role to change.

    Subclasses name `write_scope` (required for undeclared methods) and `viewer_message`.
    """

    write_scope = ""
    viewer_message = "Viewers can see this but not change it."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        credential = credential_of(request)
        if credential is not None:
            needed = required_scopes(view, request.method or "", default=[self.write_scope])
            missing = [scope for scope in needed if not credential.allows(scope)]
            if missing:
                raise InsufficientScope(missing)
            return True
        caller = caller_for(request)  # 404 for outsiders
        writes = request.method not in READ_METHODS or getattr(view, "reads_need_write_role", False)
        if writes and not (caller.membership and caller.membership.can("write_credentials")):
            raise exceptions.PermissionDenied(self.viewer_message)
        return True


def require_sudo(request: Request) -> None:
    """A person must have confirmed their password recently (sudo mode); credentials are exempt."""
    if credential_of(request) is None and not sudo_is_active(request._request):
        raise ReauthenticationRequired()
