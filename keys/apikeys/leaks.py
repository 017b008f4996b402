"""Leaked API keys: what a leak report does to a key, and telling the team where it was found (`key.leaked`).

Who reports decides the policy: a person (the admin action) or the key's own holder (the public revoke
endpoint) asks for a revoke, so the key is revoked; a secret scanner (GitHub, GitLab) reports on the team's
behalf, so the team's `leak_policy` decides: notify only, revoke now, or roll (a sealed successor, and the
leaked key stops after a short grace). Whatever the policy, the team hears about it once per report: an
audit event, a `key.leaked` webhook event, an alert in the portal, and an email to the creator and admins,
each naming where the key was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import LeakPolicy
from audit.models import AuditEvent
from keys.apikeys import hashing, tokens
from keys.apikeys.kind import API_KEY
from keys.apikeys.sealed import seal_successor
from keys.apikeys.services import key_revoke, key_roll
from keys.core import lifecycle as core
from keys.core.leaks import SOURCE_LABELS, HolderRequest, HolderRevoker, leak_email, leak_record
from keys.models import APIKey, KeyStatus

_url = URLValidator(schemes=["http", "https"])
SOURCES = tuple(SOURCE_LABELS)  # admin, public_revoke, github_secret_scanning, gitlab_secret_detection
# Scanners resend what they found (retries, the same commit in a fork): a second report of one key at one
# address changes nothing and tells nobody again.
SCANNERS = ("github_secret_scanning", "gitlab_secret_detection")

# Sent inside the report's transaction with key=, source=, url=, action=. monitoring (a floor above keys,
# which keys may not import) connects the receiver that raises the portal alert.
key_leaked = Signal()


class LeakAction(StrEnum):
    NOTIFIED = "notified"  # policy notify: the key keeps working
    REVOKED = "revoked"
    ROLLED = "rolled"  # a sealed successor; the leaked key stops at `grace_until`
    ALREADY_REVOKED = "already_revoked"  # nothing left to do to the key; the team still hears of the report
    ALREADY_REPORTED = "already_reported"  # a scanner's repeat of a report already handled: nothing at all


@dataclass(frozen=True)
class LeakOutcome:
    """What a report did: the key as it is now, the action, and the successor when the policy rolled it."""

    key: APIKey
    action: LeakAction
    successor: APIKey | None = None


def clean_source_url(source_url: str) -> str:
    """The report's URL, or "" when it has none; a ValidationError for anything but a short http(s) URL."""
    source_url = (source_url or "").strip()
    if len(source_url) > 500:
        raise ValidationError({"source_url": "The address is at most 500 characters."})
    if source_url:
        _url(source_url)
    return source_url


def roll_grace() -> timedelta:
    """How long a leaked key still works after a policy roll: enough to deploy the successor, no more."""
    return timedelta(minutes=settings.KEYS_LEAK_ROLL_GRACE_MINUTES)


def key_report_leaked(
    *,
    key: APIKey,
    actor: Any,
    source_url: str = "",
    source: str = "admin",
    policy: str = LeakPolicy.REVOKE,
    request: HttpRequest | None = None,
) -> LeakOutcome:
    """Act on a report that `key` was found in public, and tell the team where, in one transaction.

    `policy` is what to do (`LeakPolicy`): callers acting for the holder or a person pass revoke, scanners
    pass the team's `leak_policy`. Reporting a key that is already revoked changes nothing but is still
    audited and published (the team should know it was exposed again); it sends no email.
    """
    if source not in SOURCES:
        raise ValidationError({"source": f"The source is one of {', '.join(SOURCES)}."})
    if policy not in LeakPolicy.values:
        raise ValidationError({"policy": f"The policy is one of {', '.join(LeakPolicy.values)}."})
    source_url = clean_source_url(source_url)
    reason = f"Leaked ({source})"
    with transaction.atomic():
        locked = core.lock(API_KEY, key)
        successor = None
        if source in SCANNERS and _reported_before(locked, source=source, url=source_url):
            return LeakOutcome(key=locked, action=LeakAction.ALREADY_REPORTED)
        if locked.status == KeyStatus.REVOKED:
            action = LeakAction.ALREADY_REVOKED
        elif policy == LeakPolicy.NOTIFY:
            action = LeakAction.NOTIFIED
        elif policy == LeakPolicy.ROLL and locked.is_active() and locked.grace_until is None:
            successor, plaintext = key_roll(key=locked, actor=actor, grace=roll_grace(), request=request)
            locked.refresh_from_db(fields=["grace_until", "rolled_at"])
            seal_successor(
                successor=successor, plaintext=plaintext, destroy_at=locked.grace_until or successor.created_at
            )
            del plaintext
            action = LeakAction.ROLLED
        else:
            # Revoke, or a roll that cannot happen (the key is disabled, expired or already rolling): a leaked
            # key must not keep working on its own, so it is revoked.
            locked = key_revoke(key=locked, actor=actor, reason=reason, request=request)
            action = LeakAction.REVOKED
        _tell(locked, actor, source=source, url=source_url, action=action, successor=successor, request=request)
    return LeakOutcome(key=locked, action=action, successor=successor)


def _tell(
    key: APIKey,
    actor: Any,
    *,
    source: str,
    url: str,
    action: LeakAction,
    successor: APIKey | None,
    request: HttpRequest | None,
) -> None:
    org = key.organization
    details: dict[str, Any] = {"source": source, "url": url, "action": action.value}
    if successor is not None:
        details["successor"] = successor.summary()
        details["grace_until"] = key.grace_until.isoformat() if key.grace_until else None
    leak_record(
        organization=org,
        summary=key.summary(),
        target_type="api_key",
        target_id=key.id,
        actor=actor,
        actor_label="" if actor is not None else SOURCE_LABELS[source],
        request=request,
        details=details,
    )
    key_leaked.send(sender=APIKey, key=key, source=source, url=url, action=action.value)
    if action is LeakAction.ALREADY_REVOKED:
        return
    leak_email(
        organization=org,
        creator=key.created_by,
        name=key.name,
        prefix=key.display_prefix,
        source=source,
        url=url,
        action=action.value,
        path=reverse("keys:detail", args=[org.slug, (successor or key).id]),
        successor_prefix=successor.display_prefix if successor else None,
        grace_until=key.grace_until.strftime("%Y-%m-%d %H:%M UTC") if successor and key.grace_until else None,
    )


def _reported_before(key: APIKey, *, source: str, url: str) -> bool:
    return AuditEvent.objects.filter(
        action="key.leaked", target_type="api_key", target_id=key.id, metadata__source=source, metadata__url=url
    ).exists()


def keys_matching(raws: Iterable[str]) -> dict[str, APIKey]:
    """Which of `raws` are real keys of ours, by plaintext: one query for the whole batch.

    Each token is parsed first (format and checksum, no query), so a made-up or mistyped token costs
    nothing; the ids of the rest are looked up together (the id is the key's public prefix), and each
    candidate's hash is checked in constant time. Revoked and expired keys match too: they are still ours.
    """
    parsed = {}
    for raw in raws:
        found = tokens.parse(raw, prefix=settings.KEYS_PREFIX)
        if found is not None:
            parsed[raw] = found
    if not parsed:
        return {}
    rows = APIKey.objects.select_related("organization", "created_by").filter(
        pk__in={p.key_id for p in parsed.values()}
    )
    by_id = {row.pk: row for row in rows}
    matches = {}
    for raw, found in parsed.items():
        key = by_id.get(found.key_id)
        if key is not None and key.environment == found.environment and hashing.check(raw, key.secret_hash)[0]:
            matches[raw] = key
    return matches


def _decoy_hash() -> str:
    # A stored-hash shape under the current pepper that no key has: checking against it costs what a real check costs.
    return f"{hashing.ALGORITHM}${hashing.current_version()}${'0' * 64}"


def key_revoke_by_holder(raw: str, *, request: HttpRequest | None = None) -> bool:
    """Revoke the key `raw` on behalf of whoever holds it (the public revoke endpoint); True when it was ours.

    The same work whether or not the key exists: one indexed query and one hash check, against a decoy
    hash when there is no such key, so the answer's timing says little about the key.
    """
    found = tokens.parse(raw, prefix=settings.KEYS_PREFIX)
    key = APIKey.objects.select_related("organization", "created_by").filter(pk=found.key_id if found else "").first()
    usable = key is not None and found is not None and key.environment == found.environment
    matches, _ = hashing.check(raw, key.secret_hash if usable and key is not None else _decoy_hash())
    if not (usable and matches and key is not None):
        return False
    key_report_leaked(key=key, actor=None, source="public_revoke", request=request)
    return True


def _holder_claims(data: HolderRequest) -> bool:
    return not data.key_id and tokens.parse(data.key, prefix=settings.KEYS_PREFIX) is not None


HOLDER_REVOKER = HolderRevoker(
    name="api_key", claims=_holder_claims, revoke=lambda data, request: key_revoke_by_holder(data.key, request=request)
)
