"""What the signing-secret and client-certificate services share: actors, audit records, ids, common fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import Organization, User
from audit.services import audit_record
from keys import tokens
from keys.models import Environment
from keys.services import validation as v
from webhooks import catalogue as webhook_events
from webhooks.services import publish

T = TypeVar("T")
UNSET: Any = object()


def actor_parts(actor: Any) -> tuple[User | None, str]:
    """(user, label) for the audit log: a person, a credential acting through the API, or the system."""
    if actor is None:
        return None, "system"
    if isinstance(actor, User):
        return actor, actor.email
    kind = getattr(actor, "kind", "credential")
    ident = getattr(actor, "display_id", None) or getattr(actor, "display_prefix", None) or actor.pk
    return None, f"{kind.replace('_', ' ')} {ident}"


def record(
    action: str,
    target: Any,
    actor: Any,
    request: HttpRequest | None,
    *,
    target_type: str,
    **metadata: Any,
) -> None:
    """One audit event about `target`, inside the caller's transaction; when `action` is a catalogued event
    type (`<kind>.<action>`), the same transaction also publishes it to the team's webhook endpoints."""
    user, label = actor_parts(actor)
    audit_record(
        action=action,
        organization=target.organization,
        actor=user,
        actor_label=label,
        target_type=target_type,
        target_id=str(target.pk),
        request=request,
        metadata={target_type: target.summary(), **metadata},
    )
    if webhook_events.get(action) is not None:
        # Stored (and later delivered) only if the change commits. Updates name the changed fields only:
        # their values may hold the team's own metadata. Summaries and metadata here never hold a secret.
        details = {"changed": sorted(metadata["changes"])} if "changes" in metadata else metadata
        publish(
            organization=target.organization,
            event_type=action,
            data={"organization": target.organization.slug, target_type: target.summary(), **details},
        )


def check_credential_actor(actor: Any, *, scopes: list[str], environment: str) -> None:
    """A credential acting through the API never mints more than it holds, nor crosses environments."""
    if actor is None or isinstance(actor, User):
        return
    held: frozenset[str] = getattr(actor, "effective_scopes", frozenset())
    v.require_subset(scopes, held, message="A credential cannot grant scopes it does not hold")
    own = getattr(actor, "environment", environment)
    if environment != own:
        raise PermissionDenied(f"A {own} credential can only manage {own} credentials.")


def clean_environment(environment: Any) -> str:
    if environment not in Environment.values:
        raise ValidationError({"environment": "The environment is 'live' or 'test'."})
    return str(environment)


def common_fields(
    *,
    organization: Organization,
    actor: Any,
    name: Any,
    scopes: Any,
    environment: Any,
    allowed_networks: Any,
    rate_limit: Any,
    metadata: Any,
) -> dict[str, Any]:
    """Validated values of the fields every credential kind shares (the API-key rules)."""
    environment = clean_environment(environment)
    clean_scopes = v.clean_scopes(scopes)
    check_credential_actor(actor, scopes=clean_scopes, environment=environment)
    user, label = actor_parts(actor)
    return {
        "organization": organization,
        "created_by": user,
        "created_by_label": label,
        "name": v.clean_name(name),
        "environment": environment,
        "scopes": clean_scopes,
        "allowed_networks": v.clean_networks(allowed_networks),
        "rate_limit": v.clean_rate_limit(rate_limit),
        "metadata": v.clean_metadata(metadata),
    }


def insert_with_fresh_id(model: Any, length: int, create: Callable[[str], T]) -> T:
    """Call `create(id)` under a fresh random base62 id, retrying on the (astronomically rare) id collision.

    Any other integrity error (a uniqueness rule of the model) is raised to the caller.
    """
    for _ in range(10):
        ident = tokens.random_base62(length)
        try:
            with transaction.atomic():
                return create(ident)
        except IntegrityError:
            if not model.objects.filter(pk=ident).exists():
                raise
    raise RuntimeError("Could not allocate a unique id after 10 tries.")


def jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def apply_changes(instance: Any, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the changed fields on a locked row, save them, and return {field: {before, after}}."""
    before = {field: jsonable(getattr(instance, field)) for field in changes}
    changed = {f: val for f, val in changes.items() if jsonable(val) != before[f]}
    for field, value in changed.items():
        setattr(instance, field, value)
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return {f: {"before": before[f], "after": jsonable(val)} for f, val in changed.items()}
