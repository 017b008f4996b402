"""The one authorization rule for every management action on every credential kind.

Every service that changes a credential (API keys, signing secrets, client certificates,
certificate authorities, rotation policies, the reveal of a sealed successor) calls `authorize()`
with who acts, what they do and on what, in the portal, the API, the admin and the jobs alike.
Views keep no rules of their own: they translate HTTP and let the service decide.

Who may do what:

- **The system** (`actor=None`: scheduled jobs, management commands) may do anything.
- **A person** needs a membership in the credential's organization (outsiders get 404, never
  403). Owners, admins and developers may manage; viewers only read (403). Every action on a
  *live* credential (and on a certificate authority, which vouches for live identities) needs
  sudo mode, a password confirmed in the last `SUDO_MODE_SECONDS`, when the action comes from a web
  request (`request` given); revealing a sealed successor needs sudo for test keys too. The
  portal's forms ask for the password before calling the service; the API answers 403
  `reauthentication_required`.
- **A staff person** holding the kind's Django `change_<model>` permission may revoke any
  credential of any team from the Django admin (a request under its "admin" URL namespace): that
  is the admin's bulk revoke. It is the only thing staff may do outside their own teams, and
  anywhere else (portal, API) staff follow the person rule.
- **A credential caller** (an API key, a signing secret, a client certificate or an OAuth token
  acting through the management API) may act only within its own reach:
  1. the same organization (else 404), and the kind's manage scope `keys:manage` (else 403);
  2. its own environment only: a test credential never touches a live one, nor a certificate
     authority (403), so it never receives a live secret;
  3. never beyond its own scope ceiling: the target's scopes, and any scopes it grants, must be
     within the caller's own effective scopes (403 for an existing target, 400 for requested
     scopes, as the create endpoints always answered);
  4. never beyond its own limits (403), field by field, for a change or a new credential:
     - `allowed_networks` may only be narrowed: every new block inside one of the target's
       current blocks (an unrestricted target may get any list; a restricted one never the empty
       list). A caller restricted to networks creates only credentials inside its own blocks;
     - `expires_at` may not move past the later of the target's current expiry and the caller's
       own: a caller that expires cannot clear an expiry, and one with no expiry may. A caller
       that expires creates only credentials that expire no later than it does;
     - `rate_limit` may only be tightened (a number no higher than the current one; never
       cleared);
     - a caller may not change its own `allowed_networks`, `expires_at` or `rate_limit` at all.
- **The team's key policies** (`keys.policies.rules`, docs/policies.md) hold everyone, the system
  included: every create and update (`authorize_reach`, on the values that change) and the new secret
  of every roll or rotation (`authorize_successor`; the scheduled rotation excepted) keep to the
  team's maximum lifetime, its expiry and allowlist requirements for live credentials, and the
  scopes a person's role may grant (400 naming the field).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest

from accounts.models import Membership, Organization
from accounts.services import sudo_is_active
from keys import scopes as scope_registry
from keys.models import Environment
from keys.policies import rules as policy_rules

MANAGE_SCOPE = "keys:manage"
LIMIT_FIELDS = ("allowed_networks", "expires_at", "rate_limit")


class Action(StrEnum):
    """A management action; every kind's services name theirs."""

    CREATE = "create"
    UPDATE = "update"
    ROTATE = "rotate"  # roll an API key, rotate a signing secret: both hand out a new secret
    REVOKE = "revoke"
    DISABLE = "disable"
    ENABLE = "enable"
    ROTATION_POLICY = "rotation_policy"  # set, clear or trigger a key's scheduled rotation
    REVEAL = "reveal"  # a sealed successor's secret, once


class SudoRequired(PermissionDenied):
    """403: the person must confirm their password (sudo mode) before changing live credentials."""

    error_code = "reauthentication_required"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "Confirm your password in the portal (sudo mode) before changing live credentials.")


def require_write(membership: Membership) -> None:
    """A person's role: owners, admins and developers manage credentials; viewers only read."""
    if not membership.can("write_credentials"):
        raise PermissionDenied("Viewers can see credentials but not create or change them.")


def environment_of(target: Any) -> str:
    """The environment a target acts in; a certificate authority vouches for live identities."""
    return str(getattr(target, "environment", Environment.LIVE) or Environment.LIVE)


def authorize(
    actor: Any,
    action: Action,
    target: Any = None,
    *,
    organization: Organization | None = None,
    environment: str | None = None,
    scopes: Iterable[str] | None = None,
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Allow `actor` to do `action` on `target` (or, for a create, in `organization`/`environment`), or raise.

    `scopes` are scopes being granted (a create, or an update's new scopes); `changes` are the cleaned
    new values of an update, or the limits of a new credential. Raises Http404 for outsiders,
    `PermissionDenied` (403; `SudoRequired` for a missing sudo) or a scopes `ValidationError` (400).
    """
    if actor is None:
        return
    org = organization if organization is not None else target.organization
    env = environment or environment_of(target)
    if isinstance(actor, get_user_model()):
        _authorize_person(actor, action, target, org, env, request)
        return
    _authorize_credential(actor, action, target, org, env)
    if scopes is not None or changes:
        authorize_reach(actor, target, scopes=scopes, changes=changes, organization=org, environment=env)


def authorize_successor(actor: Any, target: Any, *, expires_at: datetime | None) -> None:
    """A roll or rotation hands out a new secret with the target's grants: the team's policy judges them as
    a new credential's (the roller's role may grant the scopes; expiry and allowlist as required).

    The system's scheduled rotation (`actor=None`) is exempt: refusing it would keep a pre-policy
    credential's old secret in use longer; such credentials are listed on the hygiene page instead.
    """
    if actor is None:
        return
    policy_rules.enforce(
        actor,
        target.organization,
        environment_of(target),
        scopes=list(getattr(target, "scopes", ())),
        changes={"expires_at": expires_at, "allowed_networks": list(target.allowed_networks or [])},
    )


def authorize_reach(
    actor: Any,
    target: Any = None,
    *,
    scopes: Iterable[str] | None = None,
    changes: dict[str, Any] | None = None,
    organization: Organization | None = None,
    environment: str | None = None,
) -> None:
    """The second half of the rule, once the input is cleaned: the team's policy, and a credential caller's reach.

    Everyone, the system included, is held to the team's policy (`keys.policies.rules`, 400 naming the
    field) for `scopes` granted and the limits in `changes`: of an update (`target`, judging only
    what really changes) or of a new credential (`target=None`, in `organization`/`environment`).
    A credential caller is also held to its own reach: `scopes` within its own (else a 400 naming
    them), and `changes` within its own limits (else 403).
    """
    if organization is None and target is None:
        raise TypeError("authorize_reach needs the target, or the organization of a new credential")
    org = organization if organization is not None else target.organization
    env = environment or environment_of(target)
    judged = changes or {}
    if target is not None:
        judged = {f: val for f, val in judged.items() if val != getattr(target, f, None)}
    policy_rules.enforce(actor, org, env, scopes=scopes, changes=judged)
    if actor is None or isinstance(actor, get_user_model()):
        return
    if scopes is not None:
        beyond = sorted(scope_registry.expand(list(scopes)) - held_scopes(actor))
        if beyond:
            raise ValidationError(
                {"scopes": f"A credential cannot grant scopes it does not hold: {', '.join(beyond)}."}
            )
    if changes:
        _authorize_changes(actor, target, changes)


def _authorize_person(
    user: Any, action: Action, target: Any, org: Organization, env: str, request: HttpRequest | None
) -> None:
    if action == Action.REVOKE and target is not None and _via_admin(request) and user.is_staff and user.is_active:
        meta = type(target)._meta
        if user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
            return  # the admin's revoke: staff act for the platform, across teams
    membership = Membership.objects.filter(user=user, organization=org).first() if user.is_active else None
    if membership is None:
        raise Http404
    require_write(membership)
    needs_sudo = env == Environment.LIVE or action == Action.REVEAL
    if request is not None and needs_sudo and not sudo_is_active(request):
        raise SudoRequired()


def _via_admin(request: HttpRequest | None) -> bool:
    """Whether the request is one of the Django admin's pages (its URLs live in the "admin" namespace)."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.app_name == "admin"


def held_scopes(caller: Any) -> frozenset[str]:
    """The scopes a credential caller effectively holds (write implies read)."""
    held = getattr(caller, "effective_scopes", None)
    if held is None:
        held = scope_registry.expand(list(getattr(caller, "scopes", ())))
    return frozenset(held)


def _authorize_credential(caller: Any, action: Action, target: Any, org: Organization, env: str) -> None:
    if getattr(caller, "organization_id", None) != org.pk:
        raise Http404
    if not caller.allows(MANAGE_SCOPE):
        raise PermissionDenied(f"This credential lacks the required scope: {MANAGE_SCOPE}.")
    own = str(getattr(caller, "environment", None) or Environment.LIVE)
    if env != own:
        raise PermissionDenied(f"A {own} credential can only manage {own} credentials.")
    if target is not None:
        beyond = sorted(set(scope_registry.expand(list(getattr(target, "scopes", ())))) - held_scopes(caller))
        if beyond:
            raise PermissionDenied(
                f"This credential cannot manage one that holds scopes it lacks: {', '.join(beyond)}."
            )


def is_self(caller: Any, target: Any) -> bool:
    return target is not None and type(caller) is type(target) and caller.pk == target.pk


def _authorize_changes(caller: Any, target: Any, changes: dict[str, Any]) -> None:
    if target is None:
        _check_new_limits(caller, changes)
        return
    changed = {f: changes[f] for f in LIMIT_FIELDS if f in changes and changes[f] != getattr(target, f)}
    if changed and is_self(caller, target):
        raise PermissionDenied("A credential cannot change its own networks, expiry or rate limit.")
    if "allowed_networks" in changed and not _narrows(changed["allowed_networks"], target.allowed_networks):
        raise PermissionDenied("A credential can only narrow another's allowed networks.")
    if "expires_at" in changed:
        bound = _later(target.expires_at, getattr(caller, "expires_at", None))
        new = changed["expires_at"]
        if bound is not None and (new is None or new > bound):
            raise PermissionDenied("A credential cannot extend an expiry beyond its own.")
    if "rate_limit" in changed:
        new, old = changed["rate_limit"], target.rate_limit
        if new is None or (old is not None and new > old):
            raise PermissionDenied("A credential can only tighten another's rate limit.")


def _check_new_limits(caller: Any, fields: dict[str, Any]) -> None:
    own_networks = list(getattr(caller, "allowed_networks", None) or [])
    if own_networks and "allowed_networks" in fields and not _narrows(fields["allowed_networks"], own_networks):
        raise PermissionDenied("A credential restricted to networks can only create credentials within them.")
    own_expiry = getattr(caller, "expires_at", None)
    if own_expiry is not None and "expires_at" in fields:
        new = fields["expires_at"]
        if new is None or new > own_expiry:
            raise PermissionDenied("A credential that expires can only create credentials that expire no later.")


def _narrows(new: list[str], old: list[str]) -> bool:
    """Whether the networks `new` allow no address that `old` refuses (empty means any address)."""
    if not old:
        return True
    if not new:
        return False
    old_nets = [ipaddress.ip_network(cidr, strict=False) for cidr in old]
    for cidr in new:
        net = ipaddress.ip_network(cidr, strict=False)
        if not any(net.version == o.version and net.subnet_of(o) for o in old_nets):  # type: ignore[arg-type]
            return False
    return True


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two expiries, where None (never) is the latest."""
    if a is None or b is None:
        return None
    return max(a, b)
