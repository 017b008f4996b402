"""What every leaked credential shares: the `key.leaked` record, and the public revoke's registry of kinds.

`POST /api/v1/credentials/revoke` lets whoever holds a credential revoke it, with no account. Each kind
that can be revoked this way registers a `HolderRevoker`: `claims` looks at the shape of the request only
(an API key's format and checksum, a signing secret's key id, anything else for OAuth), and `revoke` does
the lookup and the secret check and revokes on a match. `oauth` sits above keys, so it registers its own
revoker from `AppConfig.ready()` instead of being imported here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from accounts.models import Organization
from accounts.outbox import email_queue, recipients_for
from audit.services import audit_record
from webhooks.services import publish


def leak_record(
    *,
    organization: Organization,
    summary: dict[str, Any],
    target_type: str,
    target_id: str,
    actor: Any,
    actor_label: str,
    request: HttpRequest | None,
    details: dict[str, Any],
) -> None:
    """Audit `key.leaked` and publish it to the team's webhooks, in the caller's transaction.

    The event names the credential `key` whatever its kind (`summary["kind"]` tells them apart), and
    `details` says where it was found (`source`, `url`) and what was done (`action`).
    """
    audit_record(
        action="key.leaked",
        organization=organization,
        actor=actor,
        actor_label=actor_label,
        target_type=target_type,
        target_id=target_id,
        request=request,
        metadata={"key": summary, **details},
    )
    publish(
        organization=organization,
        event_type="key.leaked",
        data={"organization": organization.slug, "key": summary, **details},
    )


SOURCE_LABELS = {
    "admin": "an operator",
    "public_revoke": "its holder, through the public revoke endpoint",
    "github_secret_scanning": "GitHub secret scanning",
    "gitlab_secret_detection": "GitLab secret detection",
}


def leak_email(
    *,
    organization: Organization,
    creator: Any,
    name: str,
    prefix: str,
    source: str,
    url: str,
    action: str,
    path: str,
    successor_prefix: str | None = None,
    grace_until: str | None = None,
) -> None:
    """Queue the "found in public" email to the creator and the team's owners and admins (names and ids only)."""
    email_queue(
        organization=organization,
        template="key_leaked",
        recipients=recipients_for(organization, creator=creator),
        context={
            "organization": organization.name,
            "key_name": name,
            "prefix": prefix,
            "source": SOURCE_LABELS.get(source, source),
            "url": url,
            "action": action,
            "successor_prefix": successor_prefix,
            "grace_until": grace_until,
            "path": path,
        },
    )


@dataclass(frozen=True)
class HolderRequest:
    """A public revoke request: the secret, plus a key id for kinds whose secret does not name its row."""

    key: str
    key_id: str = ""
    token_type_hint: str = ""


@dataclass(frozen=True)
class HolderRevoker:
    name: str
    claims: Callable[[HolderRequest], bool]
    # Returns whether a credential was revoked; it must do its lookup and secret check either way.
    revoke: Callable[[HolderRequest, HttpRequest | None], bool]


_revokers: list[HolderRevoker] = []


def register_holder_revoker(revoker: HolderRevoker) -> None:
    """Add a kind to the public revoke (idempotent by name: `ready()` may run twice in tests)."""
    _revokers[:] = [r for r in _revokers if r.name != revoker.name]
    _revokers.append(revoker)


def holder_revoke(data: HolderRequest, *, request: HttpRequest | None = None) -> bool:
    """Revoke the credential `data` names, if it is ours and the secret matches; the first kind that claims it decides.

    When no kind claims it, an HMAC is still computed, so every shape of request costs some work.
    """
    for revoker in _revokers:
        if revoker.claims(data):
            return revoker.revoke(data, request)
    hmac.new(b"decoy", data.key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return False
