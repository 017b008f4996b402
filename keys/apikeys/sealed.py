"""Sealed successors: the secret a scheduled roll made, revealed exactly once or destroyed unrevealed.

A scheduled roll (or a roll forced by a leak report) has no person to show the new secret to, so
`keys.apikeys.rotation` (and `keys.apikeys.leaks`) seals it
(encrypted under the keyring) until someone reveals it once or the grace period ends.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from keys.apikeys.kind import API_KEY
from keys.core import lifecycle as core
from keys.core.authorization import Action, authorize
from keys.core.errors import KeyConflict
from keys.models import APIKey, KeyStatus, SealedReason, SealedSecret
from lib import crypto


def seal_successor(*, successor: APIKey, plaintext: str, destroy_at: datetime) -> SealedSecret:
    """Keep the plaintext of a key nobody was shown, encrypted and bound to its id, until revealed or `destroy_at`."""
    return SealedSecret.objects.create(
        key=successor,
        ciphertext=crypto.encrypt(plaintext, purpose=SealedSecret.ENCRYPTION_PURPOSE, row_id=successor.id),
        destroy_at=destroy_at,
    )


def sealed_secret_reveal(*, key: APIKey, actor: User, request: HttpRequest | None = None) -> str:
    """The successor's plaintext, exactly once: the ciphertext is erased in the same transaction."""
    now = timezone.now()
    authorize(actor, Action.REVEAL, key, request=request)
    with transaction.atomic():
        sealed = (
            SealedSecret.objects.select_for_update(of=("self",))
            .select_related("key__organization")
            .filter(key=key)
            .first()
        )
        if sealed is None or not sealed.is_available:
            raise KeyConflict("This key's secret was already revealed or destroyed. Roll the key to get a new secret.")
        if sealed.destroy_at <= now or not sealed.key.is_active(now):
            _destroy(sealed, SealedReason.GRACE_ENDED if sealed.destroy_at <= now else SealedReason.KEY_INACTIVE, now)
            raise KeyConflict("The secret was destroyed unrevealed. Roll the key to get a new secret.")
        plaintext = crypto.decrypt(sealed.ciphertext, purpose=SealedSecret.ENCRYPTION_PURPOSE, row_id=sealed.key_id)
        sealed.ciphertext = ""
        sealed.revealed_at = sealed.destroyed_at = now
        sealed.revealed_by = actor
        sealed.destroyed_reason = SealedReason.REVEALED
        sealed.save(update_fields=["ciphertext", "revealed_at", "revealed_by", "destroyed_at", "destroyed_reason"])
        core.record(API_KEY, "key.successor_revealed", sealed.key, actor, request)
    return plaintext


def _destroy(sealed: SealedSecret, reason: str, now: datetime) -> None:
    sealed.ciphertext = ""
    sealed.destroyed_at = now
    sealed.destroyed_reason = reason
    sealed.save(update_fields=["ciphertext", "destroyed_at", "destroyed_reason"])
    # The job acts as "rotation policy" rather than "system": that is what a person reading the log looks for.
    core.record(
        API_KEY, "key.successor_secret_destroyed", sealed.key, None, None, actor_label="rotation policy", reason=reason
    )


def sealed_secrets_expire(*, now: datetime | None = None) -> int:
    """Erase sealed secrets whose grace ended or whose key is no longer active; returns how many."""
    now = now or timezone.now()
    candidates = SealedSecret.objects.filter(destroyed_at__isnull=True).filter(
        Q(destroy_at__lte=now) | ~Q(key__status=KeyStatus.ACTIVE)
    )
    destroyed = 0
    for pk in candidates.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            sealed = (
                SealedSecret.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("key__organization")
                .filter(pk=pk, destroyed_at__isnull=True)
                .first()
            )
            if sealed is None:
                continue
            reason = SealedReason.GRACE_ENDED if sealed.destroy_at <= now else SealedReason.KEY_INACTIVE
            _destroy(sealed, reason, now)
            destroyed += 1
    return destroyed
