"""Reads every kind shares: a team's credentials of one kind as the lists filter them, and one of them by id."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization
from keys.core.models import KeyStatus

M = TypeVar("M", bound=Model)


def team_credentials(
    model: type[M],
    organization: Organization,
    *,
    related: tuple[str, ...] = (),
    search: str = "",
    state: str = "",
    environment: str = "",
) -> QuerySet[M]:
    """The team's credentials of `model`, newest first, filtered as the portal and API lists allow: by state,
    environment, and a search on the name or the id (the part after the last `_` of a display id)."""
    qs = model._default_manager.filter(organization=organization).select_related("organization", *related)
    now = timezone.now()
    if state == "active":
        qs = qs.filter(status=KeyStatus.ACTIVE).exclude(expires_at__lte=now)
    elif state == "expired":
        qs = qs.filter(status=KeyStatus.ACTIVE, expires_at__lte=now)
    elif state in (KeyStatus.DISABLED, KeyStatus.REVOKED):
        qs = qs.filter(status=state)
    if environment in ("live", "test"):
        qs = qs.filter(environment=environment)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(id__startswith=search.rsplit("_", 1)[-1][:16]))
    return qs.order_by("-created_at", "id")


def team_row_or_404(model: type[M], organization: Organization, pk: str, *, related: tuple[str, ...] = ()) -> M:
    """One row of the team with its people joined; another team's row is a 404, exactly like a missing one."""
    row = (
        model._default_manager.select_related("organization", "created_by", "revoked_by", *related)
        .filter(organization=organization, pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    return row
