"""Create, roll, revoke, update, disable and enable API keys. Each records exactly one audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization, User
from audit.services import actor_label_of
from keys.apikeys import hashing, tokens
from keys.apikeys.kind import API_KEY
from keys.core import lifecycle as core
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach, authorize_successor
from keys.core.errors import KeyConflict
from keys.models import APIKey, Environment, RotationPolicy
from keys.policies.models import policy_for

# A person, a credential of any kind acting through the API (an OAuth token too), or None for the system.
Actor = Any
MAX_GRACE = timedelta(days=30)


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
    authorize(actor, Action.CREATE, organization=organization, environment=environment, request=request)
    clean_scopes = v.clean_scopes(scopes)
    fields = {
        "organization": organization,
        "created_by": actor if isinstance(actor, User) else None,
        "created_by_label": actor_label_of(actor),
        "name": v.clean_name(name),
        "environment": environment,
        "scopes": clean_scopes,
        "expires_at": v.clean_expiry(expires_at),
        "allowed_networks": v.clean_networks(allowed_networks),
        "rate_limit": v.clean_rate_limit(rate_limit),
        "metadata": v.clean_metadata(metadata),
    }
    authorize_reach(
        actor,
        organization=organization,
        environment=environment,
        scopes=clean_scopes,
        changes={"expires_at": fields["expires_at"], "allowed_networks": fields["allowed_networks"]},
    )
    with transaction.atomic():
        key, plaintext = _insert(fields)
        rotation = _default_rotation(key, actor)
        core.record(API_KEY, "key.created", key, actor, request, **rotation)
    return key, plaintext


def _default_rotation(key: APIKey, actor: Actor | None) -> dict[str, Any]:
    """The team's default rotation policy on a new live key (docs/policies.md); what the audit event says of it."""
    policy = policy_for(key.organization)
    if key.environment != Environment.LIVE or not policy.rotation_interval_days:
        return {}
    interval = timedelta(days=policy.rotation_interval_days)
    RotationPolicy.objects.create(
        key=key,
        interval=interval,
        grace=timedelta(hours=policy.rotation_grace_hours),
        next_rotation_at=key.created_at + interval,
        created_by=actor if isinstance(actor, User) else None,
    )
    return {"rotation_interval_days": policy.rotation_interval_days}


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
        old = core.lock(API_KEY, key)
        authorize(actor, Action.ROTATE, old, request=request)
        if APIKey.objects.filter(predecessor=old).exists():
            raise KeyConflict("This key has already been rolled.")
        if not old.is_active(now):
            raise KeyConflict(f"Only active keys can be rolled; this key is {old.state}.")
        expires_at = successor_expiry(old, now)
        authorize_successor(actor, old, expires_at=expires_at)
        successor, plaintext = _insert(
            {
                "organization": old.organization,
                "created_by": actor if isinstance(actor, User) else None,
                "created_by_label": actor_label_of(actor),
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
        core.record(
            API_KEY, "key.rolled", old, actor, request, successor=successor.id, grace_until=grace_until.isoformat()
        )
    key.grace_until = grace_until
    return successor, plaintext


def successor_expiry(old: APIKey, now: Any) -> Any:
    """A successor lives as long as its predecessor was meant to, within the team's maximum lifetime."""
    expires_at = None if old.expires_at is None else now + (old.expires_at - old.created_at)
    max_days = policy_for(old.organization).max_lifetime_days
    if max_days:
        latest = now + timedelta(days=max_days)
        expires_at = latest if expires_at is None else min(expires_at, latest)
    return expires_at


key_revoke = API_KEY.service(
    "revoke", "key", "Revoke at once; the very next request with this key fails on every node. Idempotent."
)


key_disable = API_KEY.service(
    "set_status", "key", "Suspend a key; it fails authentication until enabled again.", enable=False
)


key_enable = API_KEY.service("set_status", "key", "Resume a disabled key.", enable=True)


key_update = API_KEY.service(
    "update", "key", "Change a key's name, networks, expiry, limit or metadata, or narrow its scopes (never widen)."
)
