"""Leaked OAuth tokens: the public revoke endpoint takes access and refresh tokens with RFC 7009 semantics.

`token_type_hint` (`access_token` or `refresh_token`) only says where to look first; a token of the other
type is still found and revoked, and an unknown token is not an error. Revoking an access token also
revokes its refresh token, and revoking a refresh token deletes its access token (DOT's one revoke path),
so a leaked token of either kind leaves nothing behind that renews it. Tokens are found by the SHA-256 that
DOT stores, never by plaintext.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from keys.core.leaks import SOURCE_LABELS, HolderRequest, HolderRevoker, leak_record
from oauth import services
from oauth.selectors import access_token_row, refresh_token_rows

MAX_TOKEN_LENGTH = 8192
HINTS = ("access_token", "refresh_token")


def _access(token: str) -> Any:
    return access_token_row(token, "application__organization", "user")


def _refresh(token: str) -> Any:
    return refresh_token_rows(token, "application__organization", "user").filter(revoked__isnull=True).first()


def _summary(row: Any, kind: str) -> dict[str, Any]:
    """Non-secret facts about one token, in the shape `key.leaked` carries for every credential."""
    scope = row.scope if kind == "oauth_access_token" else getattr(row.access_token, "scope", "")
    return {
        "id": str(row.pk),
        "kind": kind,
        "name": row.application.name,
        "client_id": row.application.client_id,
        "user": row.user.email if row.user_id else None,
        "scopes": (scope or "").split(),
    }


def oauth_token_revoke_by_holder(data: HolderRequest, request: HttpRequest | None = None) -> bool:
    """Revoke the access or refresh token `data.key`, looking where the hint says first; True when it was ours."""
    token = data.key[:MAX_TOKEN_LENGTH]
    lookups = [("oauth_access_token", _access), ("oauth_refresh_token", _refresh)]
    if data.token_type_hint == "refresh_token":
        lookups.reverse()
    for kind, lookup in lookups:
        row = lookup(token)
        if row is not None and row.application is not None:
            _revoke(row, kind, request)
            return True
    return False


def _revoke(row: Any, kind: str, request: HttpRequest | None) -> None:
    summary = _summary(row, kind)
    with transaction.atomic():
        if kind == "oauth_access_token":
            services.token_revoke(token=row, actor=None, request=request, reason="Leaked (public_revoke)")
        else:
            services.refresh_token_revoke(token=row, actor=None, request=request)
        leak_record(
            organization=row.application.organization,
            summary=summary,
            target_type=kind,
            target_id=summary["id"],
            actor=None,
            actor_label=SOURCE_LABELS["public_revoke"],
            request=request,
            details={"source": "public_revoke", "url": "", "action": "revoked"},
        )


# Claims whatever no kind below it claimed: an OAuth token has no format of its own to recognise.
HOLDER_REVOKER = HolderRevoker(
    name="oauth_token", claims=lambda data: not data.key_id, revoke=oauth_token_revoke_by_holder
)
