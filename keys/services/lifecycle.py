"""Create, roll, revoke, update, disable and enable API keys. Each records exactly one audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization, User
from audit.services import audit_record
from keys import hashing, tokens
from keys.models import APIKey, Environment, KeyStatus
from keys.services import validation as v
from keys.services.errors import KeyConflict
from webhooks import catalogue as webhook_events
from webhooks.services import publish

Actor = User | APIKey
MAX_GRACE = timedelta(days=30)
_UNSET: Any = object()


def _actor(actor: Actor | None) -> tuple[User | None, str]:
    if isinstance(actor, APIKey):
        return None, f"key {actor.display_prefix}"
    if actor is None:
        return None, "system"
    return actor, actor.email


def _record(action: str, key: APIKey, actor: Actor | None, request: HttpRequest | None, **metadata: Any) -> None:
    user, label = _actor(actor)
    audit_record(
        action=action,
        organization=key.organization,
        actor=user,
        actor_label=label,
        target_type="api_key",
        target_id=key.id,
        request=request,
        metadata={"key": key.summary(), **metadata},
    )
    if webhook_events.get(action) is not None:
        # Same transaction as the change: the event is stored (and later delivered) only if the change commits.
        # Updates name the changed fields only: their values may hold the team's own metadata.
        details = {"changed": sorted(metadata["changes"])} if "changes" in metadata else metadata
        publish(
            organization=key.organization,
            event_type=action,
            data={"organization": key.organization.slug, "key": key.summary(), **details},
        )


def _check_key_actor(actor: Actor | None, *, scopes: list[str], environment: str) -> None:
    """A key acting through the API can never mint more than it holds, nor cross environments."""
    if not isinstance(actor, APIKey):
        return
    v.require_subset(scopes, actor.effective_scopes, message="A key cannot grant scopes it does not hold")
    if environment != actor.environment:
        raise PermissionDenied(f"A {actor.environment} key can only manage {actor.environment} keys.")


def _insert(fields: dict[str, Any]) -> tuple[APIKey, str]:
    """Insert a key under a fresh random id, retrying on the (astronomically rare) id collision."""
    for _ in range(10):
        key_id = tokens.random_base62(tokens.ID_LENGTH)
        plaintext = tokens.build(settings.KEYS_PREFIX, fields["environment"], key_id)
        try:
            with transaction.atomic():
                key = APIKey.objects.create(
                    id=key_id, prefix=settings.KEYS_PREFIX, secret_hash=hashing.make_hash(plaintext), **fields
                )
            return key, plaintext
        except IntegrityError:
            continue
    raise RuntimeError("Could not allocate a unique key id after 10 tries.")


def key_create(
    *,
    organization: Organization,
    actor: Actor | None,
    name: str,
    scopes: list[str],
    environment: str = Environment.LIVE,
    expires_at: Any = None,
    allowed_networks: Any = None,
    rate_limit: Any = None,
    metadata: Any = None,
    request: HttpRequest | None = None,
) -> tuple[APIKey, str]:
    """Create a key and return it with its plaintext, which is never stored and never shown again."""
    if environment not in Environment.values:
        raise ValidationError({"environment": "The environment is 'live' or 'test'."})
    clean_scopes = v.clean_scopes(scopes)
    _check_key_actor(actor, scopes=clean_scopes, environment=environment)
    user, label = _actor(actor)
    fields = {
        "organization": organization,
        "created_by": user,
        "created_by_label": label,
        "name": v.clean_name(name),
        "environment": environment,
        "scopes": clean_scopes,
        "expires_at": v.clean_expiry(expires_at, organization, environment=environment),
        "allowed_networks": v.clean_networks(allowed_networks),
        "rate_limit": v.clean_rate_limit(rate_limit),
        "metadata": v.clean_metadata(metadata),
    }
    with transaction.atomic():
        key, plaintext = _insert(fields)
        _record("key.created", key, actor, request)
    return key, plaintext


def key_roll(
    *, key: APIKey, actor: Actor | None, grace: timedelta = timedelta(0), request: HttpRequest | None = None
) -> tuple[APIKey, str]:
    """Replace a key with a successor that inherits its scopes, networks, limit and metadata.

    The old key keeps working until `grace` ends (never past its own expiry). The row is locked, so
    two concurrent rolls of one key yield one successor and one KeyConflict.
    """
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValidationError({"grace": f"The grace period is between 0 and {MAX_GRACE.days} days."})
    now = timezone.now()
    with transaction.atomic():
        old = APIKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=key.pk)
        if APIKey.objects.filter(predecessor=old).exists():
            raise KeyConflict("This key has already been rolled.")
        if not old.is_active(now):
            raise KeyConflict(f"Only active keys can be rolled; this key is {old.state}.")
        _check_key_actor(actor, scopes=old.scopes, environment=old.environment)
        expires_at = None
        if old.expires_at is not None:
            expires_at = now + (old.expires_at - old.created_at)
            if old.organization.max_key_lifetime_days:
                expires_at = min(expires_at, now + timedelta(days=old.organization.max_key_lifetime_days))
        user, label = _actor(actor)
        successor, plaintext = _insert(
            {
                "organization": old.organization,
                "created_by": user,
                "created_by_label": label,
                "name": old.name,
                "environment": old.environment,
                "scopes": old.scopes,
                "expires_at": expires_at,
                "allowed_networks": old.allowed_networks,
                "rate_limit": old.rate_limit,
                "metadata": old.metadata,
                "predecessor": old,
            }
        )
        grace_until = now + grace
        if old.expires_at is not None:
            grace_until = min(grace_until, old.expires_at)
        old.grace_until = grace_until
        old.rolled_at = now
        old.save(update_fields=["grace_until", "rolled_at", "updated_at"])
        _record("key.rolled", old, actor, request, successor=successor.id, grace_until=grace_until.isoformat())
    key.grace_until = grace_until
    return successor, plaintext


def key_revoke(*, key: APIKey, actor: Actor | None, reason: str = "", request: HttpRequest | None = None) -> APIKey:
    """Revoke at once; the very next request with this key fails on every node. Revoking twice is a no-op."""
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": "The reason is at most 200 characters."})
    with transaction.atomic():
        locked = APIKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=key.pk)
        if locked.status == KeyStatus.REVOKED:
            return locked
        now = timezone.now()
        user, _ = _actor(actor)
        locked.status = KeyStatus.REVOKED
        locked.status_changed_at = now
        locked.revoked_at = now
        locked.revoked_by = user
        locked.revoked_reason = reason
        locked.save(
            update_fields=["status", "status_changed_at", "revoked_at", "revoked_by", "revoked_reason", "updated_at"]
        )
        _record("key.revoked", locked, actor, request, reason=reason)
    return locked


def _set_status(
    key: APIKey, actor: Actor | None, request: HttpRequest | None, *, to: str, frm: str, action: str
) -> APIKey:
    with transaction.atomic():
        locked = APIKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=key.pk)
        if locked.status == to:
            return locked
        if locked.status != frm:
            raise KeyConflict(f"This key is {locked.status}; it cannot be {action.split('.')[1]}.")
        locked.status = to
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        _record(action, locked, actor, request)
    return locked


def key_disable(*, key: APIKey, actor: Actor | None, request: HttpRequest | None = None) -> APIKey:
    """Suspend a key; it fails authentication until enabled again."""
    return _set_status(key, actor, request, to=KeyStatus.DISABLED, frm=KeyStatus.ACTIVE, action="key.disabled")


def key_enable(*, key: APIKey, actor: Actor | None, request: HttpRequest | None = None) -> APIKey:
    """Resume a disabled key."""
    return _set_status(key, actor, request, to=KeyStatus.ACTIVE, frm=KeyStatus.DISABLED, action="key.enabled")


def key_update(
    *,
    key: APIKey,
    actor: Actor | None,
    name: Any = _UNSET,
    scopes: Any = _UNSET,
    allowed_networks: Any = _UNSET,
    expires_at: Any = _UNSET,
    rate_limit: Any = _UNSET,
    metadata: Any = _UNSET,
    request: HttpRequest | None = None,
) -> APIKey:
    """Change a key's name, networks, expiry, limit or metadata, or narrow its scopes (never widen)."""
    with transaction.atomic():
        locked = APIKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=key.pk)
        if locked.status == KeyStatus.REVOKED:
            raise KeyConflict("A revoked key cannot be changed.")
        changes: dict[str, Any] = {}
        if name is not _UNSET:
            changes["name"] = v.clean_name(name)
        if scopes is not _UNSET:
            new_scopes = v.clean_scopes(scopes)
            v.require_subset(
                new_scopes, locked.effective_scopes, message="Scopes can only be narrowed; roll a new key to add"
            )
            changes["scopes"] = new_scopes
        if allowed_networks is not _UNSET:
            changes["allowed_networks"] = v.clean_networks(allowed_networks)
        if expires_at is not _UNSET:
            changes["expires_at"] = v.clean_expiry(expires_at, locked.organization, environment=locked.environment)
        if rate_limit is not _UNSET:
            changes["rate_limit"] = v.clean_rate_limit(rate_limit)
        if metadata is not _UNSET:
            changes["metadata"] = v.clean_metadata(metadata)
        before = {field: _jsonable(getattr(locked, field)) for field in changes}
        changed = {f: val for f, val in changes.items() if _jsonable(val) != before[f]}
        if not changed:
            return locked
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changed, "updated_at"])
        _record(
            "key.updated",
            locked,
            actor,
            request,
            changes={f: {"before": before[f], "after": _jsonable(val)} for f, val in changed.items()},
        )
    return locked


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
