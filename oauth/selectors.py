"""Reads for OAuth apps, their tokens and the people who authorized them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.models import Organization, User
from lib.http import first_or_404
from oauth.models import Application


def token_checksum(token: str) -> str:
    """The SHA-256 (hex) that DOT stores for an access or refresh token: tokens are found by it, never by
    plaintext."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def access_token_row(token: str, *related: str) -> Any:
    """The access token row whose value is `token` (with `related` selected), or None."""
    tokens = get_access_token_model().objects.select_related(*related)
    return tokens.filter(token_checksum=token_checksum(token)).first()


def refresh_token_rows(token: str, *related: str) -> QuerySet[Any]:
    """The refresh token rows whose value is `token` (with `related` selected)."""
    tokens = get_refresh_token_model().objects.select_related(*related)
    return tokens.filter(token_checksum=token_checksum(token))


def apps_for_org(org: Organization) -> QuerySet[Application]:
    """The organization's apps, newest first, each with its count of live access tokens."""
    now = timezone.now()
    return Application.objects.filter(organization=org).annotate(
        live_tokens=Count("accesstoken", filter=Q(accesstoken__expires__gt=now))
    )


def app_for_org(org: Organization, client_id: str) -> Application:
    """One app of the organization; any other app, or none, is a 404."""
    return first_or_404(Application.objects.filter(organization=org, client_id=client_id))


def app_token_counts(app: Application) -> dict[str, int]:
    now = timezone.now()
    access = get_access_token_model().objects.filter(application=app, expires__gt=now)
    refresh = get_refresh_token_model().objects.filter(application=app, revoked__isnull=True)
    return {
        "access_tokens": access.count(),
        "client_tokens": access.filter(user__isnull=True).count(),
        "refresh_tokens": refresh.count(),
        "people": refresh.values("user").distinct().count(),
    }


@dataclass
class Authorization:
    """One person's live grant to one app: the scopes they allowed and when tokens were last issued."""

    application: Application
    user: User
    scopes: set[str] = field(default_factory=set)
    last_issued: datetime | None = None
    live_tokens: int = 0


def _authorizations(filters: dict[str, Any]) -> list[Authorization]:
    now = timezone.now()
    grouped: dict[tuple[int, int], Authorization] = {}
    access = (
        get_access_token_model()
        .objects.filter(user__isnull=False, expires__gt=now, **filters)
        .select_related("application__organization", "user")
    )
    refresh = (
        get_refresh_token_model()
        .objects.filter(revoked__isnull=True, **filters)
        .select_related("application__organization", "user", "access_token")
    )
    for row in [*access, *refresh]:
        key = (row.application_id, row.user_id)
        entry = grouped.setdefault(key, Authorization(application=row.application, user=row.user))
        scope = row.scope if hasattr(row, "scope") else (row.access_token.scope if row.access_token else "")
        entry.scopes |= set(scope.split())
        entry.live_tokens += 1
        if entry.last_issued is None or row.created > entry.last_issued:
            entry.last_issued = row.created
    return sorted(grouped.values(), key=lambda a: a.last_issued or now, reverse=True)


def authorizations_for_app(app: Application) -> list[Authorization]:
    """People who hold live tokens for `app`, most recent first."""
    return _authorizations({"application": app})


def authorized_apps_for_user(user: User) -> list[Authorization]:
    """Apps that hold live tokens for `user`, most recent first."""
    return _authorizations({"user": user})


def authorization_for_user(user: User, client_id: str) -> Authorization:
    for entry in authorized_apps_for_user(user):
        if entry.application.client_id == client_id:
            return entry
    raise Http404
