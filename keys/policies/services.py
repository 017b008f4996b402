"""Set a team's key-hygiene policy: owners and admins only, validated, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest

from accounts.models import Membership, Organization, User
from audit.services import audit_record
from keys.apikeys.services import MAX_GRACE
from keys.policies.models import POLICY_FIELDS, CredentialPolicy
from keys.policies.rules import clean_role_scopes

MAX_DAYS = 3650


def _clean_days(name: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise ValidationError({name: f"A whole number of days, 1 to {MAX_DAYS}, or empty for none."})
    return value


def _clean_flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError({name: "true or false."})
    return value


def _clean_grace(value: Any) -> int:
    hours = MAX_GRACE.days * 24
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hours:
        raise ValidationError({"rotation_grace_hours": f"The grace period is 1 to {hours} hours."})
    return value


CLEANERS = {
    "max_lifetime_days": lambda v: _clean_days("max_lifetime_days", v),
    "max_age_days": lambda v: _clean_days("max_age_days", v),
    "require_live_expiry": lambda v: _clean_flag("require_live_expiry", v),
    "require_live_allowlist": lambda v: _clean_flag("require_live_allowlist", v),
    "role_scopes": clean_role_scopes,
    "rotation_interval_days": lambda v: _clean_days("rotation_interval_days", v),
    "rotation_grace_hours": _clean_grace,
}


def require_policy_admin(actor: Any, organization: Organization) -> None:
    """Owners and admins set the policy (404 for outsiders); a credential never does, not even with keys:manage,
    since a policy binds the credentials themselves."""
    if not isinstance(actor, User):
        raise PermissionDenied("Only a team's owners and admins can change its key policies, not a credential.")
    membership = Membership.objects.filter(user=actor, organization=organization).first() if actor.is_active else None
    if membership is None:
        raise Http404
    if not membership.can("manage_org"):
        raise PermissionDenied("Only owners and admins can change the team's key policies.")


def credential_policy_update(
    *, organization: Organization, actor: Any, request: HttpRequest | None = None, **changes: Any
) -> CredentialPolicy:
    """Change the named policy fields (others stay); records `organization.policy_updated` with before and after.

    Applies to what is created or changed from now on; older credentials show on the hygiene page.
    """
    require_policy_admin(actor, organization)
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: f"Unknown policy field(s): {', '.join(unknown)}."})
    cleaned = {name: CLEANERS[name](value) for name, value in changes.items()}
    with transaction.atomic():
        policy, _ = CredentialPolicy.objects.select_for_update().get_or_create(organization=organization)
        before = policy.as_dict()
        for name, value in cleaned.items():
            setattr(policy, name, value)
        interval = policy.rotation_interval_days
        if interval and timedelta(hours=policy.rotation_grace_hours) >= timedelta(days=interval):
            raise ValidationError(
                {"rotation_grace_hours": "The grace period must be shorter than the rotation interval."}
            )
        after = policy.as_dict()
        changed = {f: {"before": before[f], "after": after[f]} for f in POLICY_FIELDS if before[f] != after[f]}
        if changed:
            policy.updated_by = actor
            policy.save()
            audit_record(
                action="organization.policy_updated",
                organization=organization,
                actor=actor,
                target_type="organization",
                target_id=organization.slug,
                request=request,
                metadata={"changes": changed},
            )
    return policy
