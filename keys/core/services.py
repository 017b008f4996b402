"""What the signing-secret and client-certificate services share: the creating actor, ids, common fields.

The lifecycle itself (update, revoke, the audit record and event) is the one family in
`keys.core.lifecycle`; the authorization rule is `keys.core.authorization`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Validated values of the fields every credential kind shares, once the actor may create one here."""
    environment = clean_environment(environment)
    authorize(actor, Action.CREATE, organization=organization, environment=environment, request=request)
    clean_scopes = v.clean_scopes(scopes)
    networks = v.clean_networks(allowed_networks)
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
        "name": v.clean_name(name),
        "environment": environment,
        "scopes": clean_scopes,
        "allowed_networks": networks,
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
