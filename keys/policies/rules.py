"""The team policy half of the one authorization rule (`keys.core.authorization` calls `enforce`).

A new credential, a changed one and a roll's successor are judged the same way, whoever acts
(a person in the portal or the API, a credential through the API, the operator's commands):

- **maximum lifetime**: an expiry no later than `max_lifetime_days` from now, so none is refused;
- **live credentials expire**: a live credential may not be made or left without an expiry;
- **live credentials are allowlisted**: a live credential may not be made or left without networks;
- **scopes per role**: a person grants only the scope patterns of their role (`*:read`, `orders:*`).
  Owners, the system and credential callers are not limited by role (a credential is already held
  to its own scopes by the reach rule).

Refusals are `ValidationError`s keyed by the field, so forms show them in place and the API answers
400 naming the policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from keys import scopes as scope_registry
from keys.policies.models import CredentialPolicy, policy_for

LIVE = "live"
# The minute a form takes to submit must not turn "30 days" into "30 days and a second".
SLACK = timedelta(minutes=1)
LIMITED_ROLES = (Role.ADMIN, Role.DEVELOPER)


def enforce(
    actor: Any,
    organization: Organization,
    environment: str,
    *,
    scopes: Any = None,
    changes: dict[str, Any] | None = None,
    policy: CredentialPolicy | None = None,
    now: datetime | None = None,
) -> None:
    """Refuse (400) what breaks the team's policy. Only the fields named in `changes` are judged."""
    policy = policy or policy_for(organization)
    changes = changes or {}
    now = now or timezone.now()
    live = environment == LIVE
    if "expires_at" in changes:
        expires_at = changes["expires_at"]
        if expires_at is None and live and policy.require_live_expiry:
            raise ValidationError({"expires_at": "Your team requires live credentials to have an expiry."})
        if policy.max_lifetime_days:
            days = policy.max_lifetime_days
            if expires_at is None:
                raise ValidationError({"expires_at": f"Your team requires credentials to expire within {days} days."})
            if expires_at > now + timedelta(days=days) + SLACK:
                raise ValidationError({"expires_at": f"Your team allows credentials to live at most {days} days."})
    if "allowed_networks" in changes and live and policy.require_live_allowlist and not changes["allowed_networks"]:
        raise ValidationError(
            {
                "allowed_networks": "Your team requires live credentials to be limited to allowed networks (an IP allowlist)."
            }
        )
    if scopes is not None and isinstance(actor, get_user_model()):
        _enforce_role_scopes(actor, organization, policy, list(scopes))


def _enforce_role_scopes(user: Any, organization: Organization, policy: CredentialPolicy, scopes: list[str]) -> None:
    role = Membership.objects.filter(user=user, organization=organization).values_list("role", flat=True).first()
    if role is None or role not in LIMITED_ROLES:
        return
    patterns = policy.scopes_for(role)
    if patterns is None:
        return
    beyond = beyond_patterns(scopes, patterns)
    if beyond:
        allowed = ", ".join(patterns) or "none"
        raise ValidationError(
            {"scopes": f"Your team lets {role}s grant only {allowed}; not allowed: {', '.join(beyond)}."}
        )


def beyond_patterns(scopes: list[str], patterns: list[str]) -> list[str]:
    """The granted scopes no pattern covers (`*:read` covers `orders:read`, not `orders:write`)."""
    granted = scope_registry.normalize([s for s in scopes if isinstance(s, str)])
    return [s for s in granted if not any(fnmatchcase(s, p) for p in patterns)]


def clean_role_scopes(value: Any) -> dict[str, list[str]]:
    """{role: [pattern, …]} for admins and developers; each pattern `resource:action`, either part may be `*`."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError({"role_scopes": "Role scopes are an object of role to a list of scope patterns."})
    resources = {r.name for r in scope_registry.resources()} | {"*"}
    actions = {s.split(":", 1)[1] for s in scope_registry.all_scopes()} | {"*"}
    out: dict[str, list[str]] = {}
    for role, patterns in value.items():
        if role not in LIMITED_ROLES:
            raise ValidationError(
                {"role_scopes": f"Only admins' and developers' scopes can be limited, not {str(role)[:20]!r}."}
            )
        if not isinstance(patterns, (list, tuple)) or not all(isinstance(p, str) for p in patterns):
            raise ValidationError({"role_scopes": f"The {role} scopes are a list of patterns like *:read."})
        cleaned: list[str] = []
        for pattern in patterns:
            resource, _, action = pattern.strip().partition(":")
            if resource not in resources or action not in actions:
                raise ValidationError(
                    {"role_scopes": f"{pattern[:60]!r} is not a scope pattern (resource:action, * for any)."}
                )
            if f"{resource}:{action}" not in cleaned:
                cleaned.append(f"{resource}:{action}")
        out[str(role)] = cleaned
    return out
