"""Reads of signing secrets."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Organization
from keys.core.selectors import team_credentials, team_row_or_404
from keys.signing.models import SigningSecret, parse_key_id


def signing_secrets_for_org(organization: Organization, **filters: str) -> QuerySet[SigningSecret]:
    """The team's signing secrets, newest first, filtered (`search`, `state`, `environment`) as the lists allow."""
    return team_credentials(SigningSecret, organization, related=("api_key",), **filters)


def signing_secret_for_org(organization: Organization, ident: str) -> SigningSecret:
    """One signing secret by id or key id (`hs_live_…`); another organization's is a 404 like a missing one."""
    parsed = parse_key_id(ident)
    secret = team_row_or_404(SigningSecret, organization, parsed[1] if parsed else ident[:16], related=("api_key",))
    if parsed is not None and parsed[0] != secret.environment:
        raise Http404
    return secret
