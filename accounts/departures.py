"""People leaving a team: removal, deactivation and ownership transfer, under the team's departure policy.

accounts sits below keys and oauth, so it cannot touch credentials or tokens itself: it sends
`member_departing` inside the removal's transaction, and `keys.departures` (the credentials the
person created: keep, reassign or revoke, per `Organization.departure_policy`) and
`oauth.departures` (their OAuth grants, tokens and JWTs for the team's apps) do the work. A
receiver that fails rolls the whole removal back, so a member is never half removed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest

from accounts.auditing import audit_account
from accounts.models import DeparturePolicy, Membership, Role, User
from accounts.services import owners_left

# Sent with organization, user (who leaves), actor (who acts; None for the platform), policy,
# reassign_to (a User, for the reassign policy), request and everywhere (the account is being
# deactivated: revoke what it holds outside this team too). Receivers return a dict of counts
# that goes into the audit event.
member_departing = Signal()


def _reassignee(target: Membership, reassign_to: Membership | None) -> User | None:
    """The member who takes over the leaver's credentials under the reassign policy."""
    org = target.organization
    if org.departure_policy != DeparturePolicy.REASSIGN:
        return None
    if reassign_to is None:
        raise ValidationError({"reassign_to": "Choose the member who takes over their credentials."})
    if reassign_to.organization_id != org.pk or reassign_to.pk == target.pk:
        raise ValidationError({"reassign_to": "Choose another member of this team."})
    if not reassign_to.can("write_credentials"):
        raise ValidationError({"reassign_to": "Viewers cannot hold credentials; choose a developer, admin or owner."})
    return reassign_to.user


def _depart(
    *,
    target: Membership,
    actor: User | None,
    reassign_to: Membership | None,
    request: HttpRequest | None,
    everywhere: bool = False,
) -> dict[str, Any]:
    """Apply the team's policy through the receivers, audit it and delete the membership (in a transaction)."""
    org = target.organization
    new_holder = _reassignee(target, reassign_to)
    results: dict[str, Any] = {}
    result: Any
    for _, result in member_departing.send(
        sender=Membership,
        organization=org,
        user=target.user,
        actor=actor,
        policy=org.departure_policy,
        reassign_to=new_holder,
        request=request,
        everywhere=everywhere,
    ):
        results.update(result or {})
    audit_account(
        "membership.removed",
        target,
        actor=actor,
        organization=org,
        request=request,
        metadata={
            "user": target.user.email,
            "role": target.role,
            "policy": org.departure_policy,
            "reassigned_to": new_holder.email if new_holder else None,
            **results,
        },
    )
    target.delete()
    return results


def membership_remove(
    *, by: Membership, target: Membership, reassign_to: Membership | None = None, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Remove a member (or leave, when `by` is `target`) under the team's departure policy.

    The last owner cannot leave or be removed: they transfer ownership first.
    """
    leaving = by.pk == target.pk
    if not leaving and not by.can("manage_members"):
        raise PermissionDenied("Only owners and admins can remove members.")
    if not leaving and target.role == Role.OWNER and by.role != Role.OWNER:
        raise PermissionDenied("Only owners can remove owners.")
    with transaction.atomic():
        if target.role == Role.OWNER and owners_left(target.organization, target) == 0:
            raise ValidationError("A team needs at least one owner. Transfer ownership to another member first.")
        return _depart(target=target, actor=by.user, reassign_to=reassign_to, request=request)


def user_deactivate(*, user: User, actor: User | None, request: HttpRequest | None = None) -> int:
    """Deactivate an account (platform staff): every team applies its departure policy, every session ends.

    Under the reassign policy nobody chose a member, so the team's longest-standing other owner takes over.
    Teams where the person is the last owner keep them as owner (deactivated, so they cannot log in).
    """
    from accounts.sessions import sign_out_everywhere

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        departed = 0
        for membership in Membership.objects.select_related("organization", "user").filter(user=locked):
            org = membership.organization
            if membership.role == Role.OWNER and owners_left(org, membership) == 0:
                continue
            heir = (
                Membership.objects.filter(organization=org, role=Role.OWNER)
                .exclude(pk=membership.pk)
                .order_by("created_at")
                .first()
            )
            _depart(target=membership, actor=actor, reassign_to=heir, request=request, everywhere=True)
            departed += 1
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_account(
            "user.deactivated",
            locked,
            actor=actor,
            request=request,
            metadata={"user": locked.email, "teams_left": departed},
        )
    sign_out_everywhere(user=locked, keep_current=False)
    return departed


def ownership_transfer(*, by: Membership, to: Membership, request: HttpRequest | None = None) -> Membership:
    """An owner hands the team to another member: they become owner, `by` becomes an admin."""
    if by.role != Role.OWNER:
        raise PermissionDenied("Only an owner can transfer ownership.")
    if to.organization_id != by.organization_id or to.pk == by.pk:
        raise ValidationError("Choose another member of this team.")
    if to.role == Role.OWNER:
        raise ValidationError(f"{to.user.email} is already an owner.")
    with transaction.atomic():
        before = to.role
        Membership.objects.filter(pk=to.pk).update(role=Role.OWNER)
        Membership.objects.filter(pk=by.pk).update(role=Role.ADMIN)
        audit_account(
            "organization.ownership_transferred",
            to,
            actor=by.user,
            organization=by.organization,
            request=request,
            metadata={"from": by.user.email, "to": to.user.email, "to_role_before": before},
        )
    to.role, by.role = Role.OWNER, Role.ADMIN
    return to
