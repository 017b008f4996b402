"""GitLab secret detection's Token Revocation API: the token types we revoke, and GitLab's shared token.

GitLab (self-managed) calls `GET /v1/revocable_token_types` and `POST /v1/revoke` on a URL its operator
configures, with a token in `Authorization`. A type is `gitleaks_rule_id_<rule id>`: the id of the
secret detection rule that matched (docs/leaks.md gives the rule for our keys).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from keys.leaks.entries import json_array

SOURCE = "gitlab_secret_detection"
RULE_ID = "keyhouse_api_key"


class NotAuthorized(Exception):
    """The caller is not the GitLab instance we share a token with."""


@dataclass(frozen=True)
class Revocation:
    type: str
    token: str
    location: str


def token_types() -> list[str]:
    return [f"gitleaks_rule_id_{RULE_ID}"]


def check_token(authorization: str | None) -> None:
    """Raise NotAuthorized unless `Authorization` carries the shared token (bare, or after `Bearer `)."""
    expected = settings.KEYS_GITLAB_REVOCATION_TOKEN
    if not expected:
        raise NotAuthorized("GitLab token revocation is not configured on this server.")
    presented = (authorization or "").strip()
    if presented[:7].lower() == "bearer ":
        presented = presented[7:].strip()
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorized("The token in Authorization is not the one shared with GitLab.")


def parse_revocations(body: bytes) -> list[Revocation]:
    """The tokens to revoke; a ValidationError for a malformed request or a type we do not revoke."""
    data = json_array(body, noun="request", shape="{type, token, location}")
    known = set(token_types())
    out = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("token"), str) or not item["token"]:
            raise ValidationError({f"[{index}]": "Each entry is an object with a non-empty `token` string."})
        if item.get("type") not in known:
            raise ValidationError({f"[{index}].type": "Not a revocable token type; see GET revocable_token_types."})
        location = item.get("location") or ""
        out.append(
            Revocation(type=item["type"], token=item["token"], location=location if isinstance(location, str) else "")
        )
    return out
