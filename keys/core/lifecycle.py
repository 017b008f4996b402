"""One family of lifecycle services for every credential kind: update, revoke, disable and enable.

Each service authorizes through `keys.core.authorization.authorize`, locks only its own row
(`select_for_update(of=("self",))`, so the organization row stays free for the audit log's
concurrent writers), diffs the change, records exactly one audit event and publishes
`<event prefix>.<action>` when the webhook catalogue has that event, all in one transaction.
Each kind's public services (`key_update`, `signing_secret_revoke`, …) are thin calls into this
family with the kind's `Kind` description; what is really per kind (a key's roll, a signing
secret's HMAC secret, a certificate's X.509 limits) stays with the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach
from keys.core.errors import KeyConflict
from keys.models import KeyStatus
from webhooks import catalogue as webhook_events
from webhooks.services import publish

UNSET: Any = object()
# What an update may change, in the order it is applied and recorded.
EDITABLE = ("name", "scopes", "allowed_networks", "expires_at", "rate_limit", "metadata")


def edited_fields(changes: dict[str, Any]) -> dict[str, Any]:
    """The `EDITABLE` fields an update names, without those left UNSET; any other name is a TypeError."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise TypeError(f"not editable: {', '.join(unknown)}")
    return {f: changes[f] for f in EDITABLE if f in changes and changes[f] is not UNSET}


@dataclass(frozen=True)
class Kind:
    """What the family needs to know about one credential kind."""

    model: Any
    target_type: str  # the audit log's target type, e.g. "signing_secret"
    event_prefix: str  # events are `<event_prefix>.<action>`, e.g. "key.revoked"
    label: str  # for messages: "key", "signing secret"
    summary_key: str  # the key under which events and the audit log carry `target.summary()`
    # Cleans an update's new expiry against the locked row (kinds bound expiries differently).
    clean_expiry: Callable[[Any, Any], Any] = field(default=lambda value, row: v.clean_expiry(value))
    # On revoke: extra fields to clear (and save) on the locked row, e.g. a signing secret's previous secret.
    on_revoke: Callable[[Any], list[str]] = field(default=lambda row: [])
    revoke_metadata: Callable[[Any], dict[str, Any]] = field(default=lambda row: {})
    has_status_changed_at: bool = True


def lock(kind: Kind, target: Any) -> Any:
    """The target's row, locked for this transaction; only its own row (`of=("self",)`)."""
    return kind.model.objects.select_for_update(of=("self",)).select_related("organization").get(pk=target.pk)


def record(kind: Kind, action: str, target: Any, actor: Any, request: HttpRequest | None, **metadata: Any) -> None:
    """One audit event about `target`, and its webhook event when catalogued, inside the caller's transaction."""
    audit_record(
        action=action,
        organization=target.organization,
        actor=actor,
        target_type=kind.target_type,
        target_id=str(target.pk),
        request=request,
        metadata={kind.summary_key: target.summary(), **metadata},
    )
    if webhook_events.get(action) is not None:
        # Same transaction as the change: the event is stored (and later delivered) only if the change commits.
        # Updates name the changed fields only: their values may hold the team's own metadata.
        details = {"changed": sorted(metadata["changes"])} if "changes" in metadata else metadata
        publish(
            organization=target.organization,
            event_type=action,
            data={"organization": target.organization.slug, kind.summary_key: target.summary(), **details},
        )


def jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def apply_changes(instance: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields on a locked row, save them, and return {field: {before, after}}."""
    before = {name: jsonable(getattr(instance, name)) for name in changes}
    changed = {f: val for f, val in changes.items() if jsonable(val) != before[f]}
    for name, value in changed.items():
        setattr(instance, name, value)
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return {f: {"before": before[f], "after": jsonable(val)} for f, val in changed.items()}


def credential_update(
    kind: Kind, *, target: Any, actor: Any, fields: dict[str, Any], request: HttpRequest | None = None
) -> Any:
    """Change a credential's name, networks, expiry, limit or metadata, or narrow its scopes (never widen).

    `fields` holds only what the caller sent. Authorized twice: the action first (so an outsider learns
    nothing from validation), then the cleaned values against the caller's own reach.
    """
    with transaction.atomic():
        locked = lock(kind, target)
        authorize(actor, Action.UPDATE, locked, request=request)
        if locked.status == KeyStatus.REVOKED:
            raise KeyConflict(f"A revoked {kind.label} cannot be changed.")
        changes: dict[str, Any] = {}
        if "name" in fields:
            changes["name"] = v.clean_name(fields["name"])
        if "scopes" in fields:
            new_scopes = v.clean_scopes(fields["scopes"])
            v.require_subset(
                new_scopes,
                locked.effective_scopes,
                message=f"Scopes can only be narrowed; create a new {kind.label} to add",
            )
            changes["scopes"] = new_scopes
        if "allowed_networks" in fields:
            changes["allowed_networks"] = v.clean_networks(fields["allowed_networks"])
        if "expires_at" in fields:
            changes["expires_at"] = kind.clean_expiry(fields["expires_at"], locked)
        if "rate_limit" in fields:
            changes["rate_limit"] = v.clean_rate_limit(fields["rate_limit"])
        if "metadata" in fields:
            changes["metadata"] = v.clean_metadata(fields["metadata"])
        authorize_reach(actor, locked, changes=changes)
        diff = apply_changes(locked, changes)
        if diff:
            record(kind, f"{kind.event_prefix}.updated", locked, actor, request, changes=diff)
    return locked


def clean_reason(reason: Any) -> str:
    reason = str(reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": "The reason is at most 200 characters."})
    return reason


def credential_revoke(
    kind: Kind, *, target: Any, actor: Any, reason: str = "", request: HttpRequest | None = None
) -> Any:
    """Revoke at once: the very next request with it fails on every node. Revoking twice is a no-op."""
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = lock(kind, target)
        authorize(actor, Action.REVOKE, locked, request=request)
        if locked.status == KeyStatus.REVOKED:
            return locked
        now = timezone.now()
        locked.status = KeyStatus.REVOKED
        locked.revoked_at = now
        locked.revoked_by = actor if _is_person(actor) else None
        locked.revoked_reason = reason
        fields = ["status", "revoked_at", "revoked_by", "revoked_reason", *kind.on_revoke(locked), "updated_at"]
        if kind.has_status_changed_at:
            locked.status_changed_at = now
            fields.append("status_changed_at")
        locked.save(update_fields=fields)
        record(
            kind, f"{kind.event_prefix}.revoked", locked, actor, request, reason=reason, **kind.revoke_metadata(locked)
        )
    return locked


def credential_set_status(
    kind: Kind, *, target: Any, actor: Any, enable: bool, request: HttpRequest | None = None
) -> Any:
    """Disable an active credential (it fails authentication until enabled) or enable a disabled one."""
    to, frm = (KeyStatus.ACTIVE, KeyStatus.DISABLED) if enable else (KeyStatus.DISABLED, KeyStatus.ACTIVE)
    verb = "enabled" if enable else "disabled"
    with transaction.atomic():
        locked = lock(kind, target)
        authorize(actor, Action.ENABLE if enable else Action.DISABLE, locked, request=request)
        if locked.status == to:
            return locked
        if locked.status != frm:
            raise KeyConflict(f"This {kind.label} is {locked.status}; it cannot be {verb}.")
        locked.status = to
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        record(kind, f"{kind.event_prefix}.{verb}", locked, actor, request)
    return locked


def _is_person(actor: Any) -> bool:
    from django.contrib.auth import get_user_model

    return isinstance(actor, get_user_model())
