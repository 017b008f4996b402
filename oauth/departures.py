"""A departing member's OAuth access (accounts.departures): grants, access and refresh tokens, JWTs.

Every token the person holds for the team's apps is revoked through `authorization_revoke`, which
deletes the access tokens one by one so each JWT's `jti` goes on the revocation list that offline
checks consult (oauth.receivers). A deactivated account (`everywhere`) loses its tokens for every app.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.dispatch import receiver
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from accounts.departures import member_departing
from accounts.models import Organization, User
from oauth.models import Application
from oauth.services import authorization_revoke


@receiver(member_departing, dispatch_uid="oauth.departures.tokens")
def tokens_of_departing_member(
    sender: Any,
    *,
    organization: Organization,
    user: User,
    actor: User | None,
    request: Any = None,
    everywhere: bool = False,
    **kwargs: Any,
) -> dict[str, Any]:
    held = (
        Q(pk__in=get_access_token_model().objects.filter(user=user).values("application_id"))
        | Q(pk__in=get_refresh_token_model().objects.filter(user=user).values("application_id"))
        | Q(pk__in=get_grant_model().objects.filter(user=user).values("application_id"))
    )
    apps = Application.objects.filter(held)
    if not everywhere:
        apps = apps.filter(organization=organization)
    revoked = 0
    for app in apps.select_related("organization"):
        # actor None: the platform acting on a deactivation (authorization_revoke records it as "system").
        revoked += authorization_revoke(user=user, application=app, actor=actor, request=request)  # type: ignore[arg-type]
    return {"oauth_tokens_revoked": revoked}
