"""Scheduled rotation: per-key policies and the team's maximum key age (sealed successors: `keys.apikeys.sealed`).

The job rolls due keys through `keys.services.lifecycle.key_roll` (the one roll there is), one key
per transaction. A due policy (or an over-age key) is claimed with `SELECT … FOR UPDATE SKIP LOCKED`,
and the roll moves it out of "due" in the same transaction, so two beats or workers running the job
at once roll each key exactly once. SQLite has no row locks, but our SQLite connections begin
IMMEDIATE transactions, which serializes the whole claim-and-roll.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from accounts.outbox import email_queue, recipients_for
from keys.apikeys.kind import API_KEY
from keys.apikeys.sealed import seal_successor, sealed_secrets_expire
from keys.apikeys.services import MAX_GRACE, key_roll
from keys.core import lifecycle as core
from keys.core.authorization import Action, authorize
from keys.core.errors import KeyConflict
from keys.models import APIKey, CredentialPolicy, KeyStatus, RotationPolicy
from lib.jobs import enqueue_on_commit
from webhooks.services import publish

logger = logging.getLogger(__name__)

MAX_INTERVAL = timedelta(days=3650)
# Keys rolled per run at most; the rest wait for the next run (a minute later).
BATCH = 200
# After a failed roll the policy waits this long before the job tries it again.
RETRY_AFTER = timedelta(minutes=10)


def minimum_interval() -> timedelta:
    """One day in production; one minute where KEYS_ROTATION_ALLOW_MINUTES is on (development)."""
    return timedelta(minutes=1) if settings.KEYS_ROTATION_ALLOW_MINUTES else timedelta(days=1)


def minimum_grace() -> timedelta:
    """A roll nobody has the new secret of yet must not stop the old key at once."""
    return timedelta(minutes=1) if settings.KEYS_ROTATION_ALLOW_MINUTES else timedelta(hours=1)


def human_duration(delta: timedelta) -> str:
    """The largest whole unit: "7 days", "3 hours", "10 minutes"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# --- policies --------------------------------------------------------------------------------


def rotation_policy_set(
    *, key: APIKey, actor: User | APIKey, interval: timedelta, grace: timedelta, request: HttpRequest | None = None
) -> RotationPolicy:
    """Roll `key` every `interval` (the first roll when the key is that old), keeping the old key for `grace`."""
    # Before the input is judged: a caller out of reach learns nothing from validation messages.
    authorize(actor, Action.ROTATION_POLICY, key, request=request)
    if not isinstance(interval, timedelta) or not minimum_interval() <= interval <= MAX_INTERVAL:
        raise ValidationError(
            {"interval": f"Rotate between every {human_duration(minimum_interval())} and every 10 years."}
        )
    if not isinstance(grace, timedelta) or not minimum_grace() <= grace <= MAX_GRACE:
        raise ValidationError(
            {"grace": f"The grace period is between {human_duration(minimum_grace())} and {MAX_GRACE.days} days."}
        )
    if grace >= interval:
        raise ValidationError({"grace": "The grace period must be shorter than the rotation interval."})
    with transaction.atomic():
        locked = core.lock(API_KEY, key)
        if not locked.is_active() or locked.grace_until is not None:
            raise KeyConflict(
                f"Only active keys that are not rolling get a rotation policy; this key is {locked.state}."
            )
        policy = RotationPolicy.objects.filter(key=locked).first()
        next_at = locked.created_at + interval
        if policy is None:
            policy = RotationPolicy(key=locked, created_by=actor if isinstance(actor, User) else None)
        elif policy.last_rotated_at is not None:
            next_at = policy.last_rotated_at + interval
        policy.interval, policy.grace, policy.enabled = interval, grace, True
        policy.next_rotation_at, policy.last_error = next_at, ""
        policy.save()
        core.record(
            API_KEY,
            "key.rotation_policy_set",
            locked,
            actor,
            request,
            interval=human_duration(interval),
            grace=human_duration(grace),
            next_rotation_at=next_at.isoformat(),
        )
    return policy


def rotation_policy_clear(*, key: APIKey, actor: User | APIKey, request: HttpRequest | None = None) -> None:
    """Stop rotating `key` on a schedule (the team's maximum key age still applies). Idempotent."""
    authorize(actor, Action.ROTATION_POLICY, key, request=request)
    with transaction.atomic():
        deleted, _ = RotationPolicy.objects.filter(key=key).delete()
        if deleted:
            core.record(API_KEY, "key.rotation_policy_cleared", key, actor, request)


def rotation_rotate_now(*, key: APIKey, actor: User | APIKey, request: HttpRequest | None = None) -> RotationPolicy:
    """Make the key's policy due now and queue the rotation job after commit (it rolls within seconds)."""
    with transaction.atomic():
        authorize(actor, Action.ROTATION_POLICY, key, request=request)
        policy = (
            RotationPolicy.objects.select_for_update(of=("self",))
            .select_related("key__organization")
            .filter(key=key)
            .first()
        )
        if policy is None:
            raise KeyConflict("Set a rotation policy first.")
        if not policy.key.is_active() or policy.key.grace_until is not None:
            raise KeyConflict(f"This key is {policy.key.state}; only active keys are rotated.")
        policy.next_rotation_at, policy.enabled, policy.last_error = timezone.now(), True, ""
        policy.save(update_fields=["next_rotation_at", "enabled", "last_error", "updated_at"])
        core.record(API_KEY, "key.rotation_requested", policy.key, actor, request)
        enqueue_on_commit("keys.tasks.rotate_due_keys")
    return policy


# --- the job ---------------------------------------------------------------------------------


@dataclass
class RotationRun:
    """What one run of the rotation job did."""

    rolled: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    followed: int = 0
    destroyed: int = 0

    @property
    def handled(self) -> list[str]:
        return self.rolled + self.skipped + self.failed

    def add(self, outcome: tuple[str, str]) -> None:
        getattr(self, outcome[0]).append(outcome[1])


def rotation_run(*, now: datetime | None = None, limit: int = BATCH) -> RotationRun:
    """Roll every due key once: per-key policies first, then keys over their team's maximum age.

    Also moves policies of keys rolled by hand onto their successors, and erases sealed secrets whose
    grace ended or whose key stopped being active. Safe to run concurrently and to rerun.
    """
    now = now or timezone.now()
    run = RotationRun()
    run.followed = _follow_manual_rolls()
    while len(run.handled) < limit and (outcome := _roll_next_policy(now, exclude=run.handled)) is not None:
        run.add(outcome)
    for team in CredentialPolicy.objects.filter(max_age_days__isnull=False).select_related("organization"):
        org, days = team.organization, team.max_age_days or 0
        while len(run.handled) < limit and (outcome := _roll_next_over_age(org, days, now, exclude=run.handled)):
            run.add(outcome)
    run.destroyed = sealed_secrets_expire(now=now)
    return run


def _follow_manual_rolls() -> int:
    """Policies whose key was rolled by hand (portal, API) move to the successor, due one interval after that roll."""
    moved = 0
    for _ in range(10):  # a key rolled several times by hand moves one step per pass
        stale = list(
            RotationPolicy.objects.filter(key__successor__isnull=False).values_list(
                "pk", "key_id", "key__successor__pk", "key__successor__created_at", "interval"
            )
        )
        if not stale:
            break
        for pk, key_id, successor_id, created_at, interval in stale:
            with transaction.atomic():
                if RotationPolicy.objects.filter(key_id=successor_id).exists():
                    RotationPolicy.objects.filter(pk=pk).delete()  # the successor has its own policy already
                    continue
                moved += RotationPolicy.objects.filter(pk=pk, key_id=key_id).update(
                    key_id=successor_id, next_rotation_at=created_at + interval
                )
    return moved


def _roll_next_policy(now: datetime, *, exclude: list[str]) -> tuple[str, str] | None:
    """Claim the most overdue policy and roll its key: ("rolled" | "skipped" | "failed", key id), or None."""
    claimed: tuple[int, str] | None = None
    try:
        with transaction.atomic():
            policy = (
                RotationPolicy.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("key__organization")
                .filter(enabled=True, next_rotation_at__lte=now)
                .exclude(key_id__in=exclude)
                .order_by("next_rotation_at")
                .first()
            )
            if policy is None:
                return None
            claimed = (policy.pk, policy.key_id)
            key = policy.key
            if key.grace_until is not None:
                # Rolled by hand since the last pass: that roll is the rotation, and the next pass's
                # `_follow_manual_rolls` moves the policy onto the successor. Nothing to switch off.
                return ("skipped", key.id)
            if not key.is_active(now):
                # Revoked, disabled or expired: nothing to roll. Keep the policy, switched off, with the reason.
                policy.enabled = False
                policy.last_error = f"Not rotated: the key is {key.state}."
                policy.save(update_fields=["enabled", "last_error", "updated_at"])
                return ("skipped", key.id)
            if _rotate(key, grace=policy.grace, reason="policy", policy=policy, now=now) is None:
                return ("skipped", key.id)
            return ("rolled", key.id)
    except Exception as exc:
        if claimed is None:
            raise
        # One bad key must not stop the others: note the error and try this one again later.
        logger.exception("scheduled rotation of key %s failed", claimed[1])
        RotationPolicy.objects.filter(pk=claimed[0]).update(
            last_error=str(exc)[:300] or type(exc).__name__, next_rotation_at=now + RETRY_AFTER
        )
        return ("failed", claimed[1])


def _roll_next_over_age(org: Organization, days: int, now: datetime, *, exclude: list[str]) -> tuple[str, str] | None:
    """Claim the oldest key of `org` past the team's maximum age (`days`) and roll it."""
    cutoff = now - timedelta(days=days)
    claimed: str | None = None
    try:
        with transaction.atomic():
            key = (
                APIKey.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("organization")
                .filter(status=KeyStatus.ACTIVE, grace_until__isnull=True, organization=org, created_at__lte=cutoff)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .exclude(pk__in=exclude)
                .order_by("created_at")
                .first()
            )
            if key is None:
                return None
            claimed = key.id
            policy = RotationPolicy.objects.filter(key=key).first()
            grace = policy.grace if policy else timedelta(hours=settings.KEYS_ROTATION_DEFAULT_GRACE_HOURS)
            if _rotate(key, grace=min(grace, MAX_GRACE), reason="max_age", policy=policy, now=now) is None:
                return ("skipped", key.id)
            return ("rolled", key.id)
    except Exception:
        if claimed is None:
            raise
        logger.exception("rotation of over-age key %s failed", claimed)
        return ("failed", claimed)


def _rotate(
    key: APIKey, *, grace: timedelta, reason: str, policy: RotationPolicy | None, now: datetime
) -> APIKey | None:
    """Roll one claimed key, seal the successor's secret, move the policy, and tell people. Inside the claim's transaction.

    None when someone rolled the key by hand (portal, API) between the claim and the roll: that roll
    is the rotation, and `_follow_manual_rolls` moves the policy onto its successor on the next run.
    """
    try:
        successor, plaintext = key_roll(key=key, actor=None, grace=grace)
    except KeyConflict:
        if APIKey.objects.filter(predecessor_id=key.pk).exists():
            return None
        raise
    key.refresh_from_db(fields=["grace_until", "rolled_at"])
    sealed = seal_successor(successor=successor, plaintext=plaintext, destroy_at=key.grace_until or now)
    del plaintext
    if policy is not None:
        # The OneToOne moves from the old key to its successor.
        policy.key = successor
        policy.next_rotation_at = now + policy.interval
        policy.last_rotated_at = now
        policy.rotations += 1
        policy.last_error = ""
        policy.enabled = True
        policy.save()
    org = key.organization
    publish(
        organization=org,
        event_type="key.rotation_due",
        data={"organization": org.slug, "key": key.summary(), "successor": successor.summary(), "reason": reason},
    )
    email_queue(
        organization=org,
        template="key_rotated",
        recipients=recipients_for(org, creator=key.created_by),
        context={
            "organization": org.name,
            "key_name": key.name,
            "old_prefix": key.display_prefix,
            "new_prefix": successor.display_prefix,
            "reason": reason,
            "grace_until": key.grace_until.isoformat() if key.grace_until else None,
            "reveal_by": sealed.destroy_at.strftime("%Y-%m-%d %H:%M UTC"),
            "path": reverse("keys:detail", args=[org.slug, successor.id]),
        },
    )
    return successor
