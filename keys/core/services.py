"""What the signing-secret and client-certificate services share: the creating actor, ids, common fields.

The lifecycle itself (update, revoke, the audit record and event) is the one family in
`keys.core.lifecycle`; the authorization rule is `keys.core.authorization`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Required, TypedDict, TypeVar, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import Organization, User
from audit.services import actor_label_of
from keys.apikeys import tokens
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach
from keys.core.lifecycle import UNSET, apply_changes, jsonable
from keys.models import Environment

T = TypeVar("T")

__all__ = [
    "UNSET",
    "CredentialSettings",
    "apply_changes",
    "clean_environment",
    "common_fields",
    "creator",
    "insert_with_fresh_id",
    "jsonable",
]


def creator(actor: Any) -> dict[str, Any]:
    """`created_by` and `created_by_label` for a new row: the person, or only the label of a credential or the system."""
    return {"created_by": actor if isinstance(actor, User) else None, "created_by_label": actor_label_of(actor)}


def clean_environment(environment: Any) -> str:
    if environment not in Environment.values:
        raise ValidationError({"environment": "The environment is 'live' or 'test'."})
    return str(environment)


class CredentialSettings(TypedDict, total=False):
    """What creating any kind of credential takes besides the team, the actor and the kind's own fields."""

    name: Required[Any]
    scopes: Required[Any]
    environment: Any  # "live" (the default) or "test"
    allowed_networks: Any
    rate_limit: Any
    metadata: Any


def common_fields(
    *,
    organization: Organization,
    actor: Any,
    request: HttpRequest | None = None,
    **settings: Unpack[CredentialSettings],
) -> dict[str, Any]:
    """Validated values of the fields every credential kind shares, once the actor may create one here."""
    environment = clean_environment(settings.get("environment", Environment.LIVE))
    authorize(actor, Action.CREATE, organization=organization, environment=environment, request=request)
    clean_scopes = v.clean_scopes(settings["scopes"])
    networks = v.clean_networks(settings.get("allowed_networks"))
    authorize_reach(
        actor,
        organization=organization,
        environment=environment,
        scopes=clean_scopes,
        changes={"allowed_networks": networks},
    )
    return {
        "organization": organization,
        **creator(actor),
        "name": v.clean_name(settings["name"]),
        "environment": environment,
        "scopes": clean_scopes,
        "allowed_networks": networks,
        "rate_limit": v.clean_rate_limit(settings.get("rate_limit")),
        "metadata": v.clean_metadata(settings.get("metadata")),
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
