"""Audit records about the accounts' own objects: people, teams, memberships and invitations.

The target's type and id are read off the object, the same way for every event: a team by its slug
(what its URLs carry), anything else by its model name and primary key.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import Organization
from audit.services import audit_record


def audit_account(
    action: str,
    target: Any,
    *,
    actor: Any,
    organization: Organization | None = None,
    request: HttpRequest | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    """Record `action` on `target`: a user (also a lazy `request.user`), team, membership or invitation.

    A team is its own event's organization; a membership's or invitation's event belongs to `organization`,
    a person's event to none."""
    if isinstance(target, Organization):
        organization, target_type, target_id = target, "organization", target.slug
    else:
        target_type, target_id = target._meta.model_name or "", str(target.pk)
    audit_record(
        action=action,
        organization=organization,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        request=request,
        metadata=metadata,
    )
