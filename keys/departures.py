"""What happens to a departing member's credentials: the team's departure policy (accounts.departures).

keep: nothing changes. reassign: every credential they created (any status) is attributed to the
chosen member, so the team can still see whose it is and notices go to someone present. revoke:
every credential they created that is not revoked yet is revoked through its kind's own revoke
service (the platform acting, `actor=None`, so the team's policy needs no sudo of the remover).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.departures import member_departing
from accounts.models import DeparturePolicy, Organization, User
from audit.services import audit_record
from keys.core.registry import kinds
from keys.core.services import creator
from keys.models import KeyStatus


@receiver(member_departing, dispatch_uid="keys.departures.credentials")
def credentials_of_departing_member(
    sender: Any,
    *,
    organization: Organization,
    user: User,
    actor: User | None,
    policy: str,
    reassign_to: User | None,
    request: Any = None,
    **kwargs: Any,
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    reason = f"{user.email} left the team"
    for kind in kinds():
        created = kind.model._default_manager.filter(organization=organization, created_by=user)
        label = kind.model._meta.model_name
        if policy == DeparturePolicy.REASSIGN and reassign_to is not None:
            counts[label] = created.update(**creator(reassign_to))
        elif policy == DeparturePolicy.REVOKE:
            live = list(created.exclude(status=KeyStatus.REVOKED))
            for credential in live:
                kind.revoke(credential, actor=None, reason=reason)
            counts[label] = len(live)
    counts = {k: v for k, v in counts.items() if v}
    if counts and policy == DeparturePolicy.REASSIGN and reassign_to is not None:
        audit_record(
            action="credentials.reassigned",
            organization=organization,
            actor=actor,
            target_type="user",
            target_id=str(user.pk),
            request=request,
            metadata={"from": user.email, "to": reassign_to.email, "counts": counts},
        )
    return {"credentials": counts}
