"""Scheduled rotation: due keys roll once through key_roll, the successor is sealed, the old key sunsets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from conftest import set_policy
from keys.apikeys.rotation import rotation_policy_clear, rotation_policy_set, rotation_run
from keys.models import APIKey, KeyStatus, RotationPolicy, SealedSecret
from keys.services import Code, KeyConflict, key_check, key_revoke, key_roll
from keys.tests.jobs_helpers import NOW, events, send_queued_emails
from lib import crypto

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _sealed_plaintext(successor: APIKey) -> str:
    sealed = SealedSecret.objects.get(key=successor)
    return crypto.decrypt(sealed.ciphertext, purpose=SealedSecret.ENCRYPTION_PURPOSE, row_id=successor.id)


def test_a_due_policy_rolls_the_key_once_and_seals_the_successor(make_key, alice, hook) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, plaintext = make_key(
            environment="test", scopes=["orders:write"], rate_limit=60, allowed_networks=["192.0.2.0/24"]
        )
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=2 * DAY)
        assert rotation_run().rolled == []

        traveller.shift(30 * DAY)
        assert rotation_run().rolled == [key.id]
        assert rotation_run().rolled == []  # a rerun (or a second beat) finds nothing due

        successor = APIKey.objects.get(predecessor=key)
        assert (successor.scopes, successor.allowed_networks, successor.rate_limit) == (
            ["orders:write"],
            ["192.0.2.0/24"],
            60,
        )
        key.refresh_from_db()
        assert key.grace_until == timezone.now() + 2 * DAY and key.state == "rolling"

        # The successor's secret is stored only encrypted, bound to its row, and it works.
        sealed = SealedSecret.objects.get(key=successor)
        secret = _sealed_plaintext(successor)
        assert secret not in sealed.ciphertext and sealed.destroy_at == key.grace_until
        assert key_check(secret, ip="192.0.2.7").code is Code.VALID
        assert key_check(plaintext, ip="192.0.2.7").code is Code.VALID  # the old key works during grace

        policy = RotationPolicy.objects.get()
        assert (policy.key_id, policy.next_rotation_at, policy.rotations) == (
            successor.id,
            timezone.now() + 30 * DAY,
            1,
        )

    rolled, due = events("key.rolled"), events("key.rotation_due")
    assert len(rolled) == len(due) == 1
    assert due[0]["data"]["successor"]["id"] == successor.id and due[0]["data"]["reason"] == "policy"
    assert rolled[0]["data"]["successor"] == successor.id
    [email] = send_queued_emails()
    assert email.to == ["alice@example.com"] and key.name in email.subject
    assert successor.display_prefix in email.body and secret not in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html" and "Reveal the new key" in html and secret not in html


def test_the_sealed_secret_is_nowhere_in_plaintext_not_in_the_database_nor_the_logs(make_key, alice, caplog) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    caplog.set_level("DEBUG")
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test")
        rotation_policy_set(key=key, actor=alice, interval=DAY, grace=timedelta(hours=1))
        traveller.shift(DAY)
        rotation_run()
    secret = _sealed_plaintext(APIKey.objects.get(predecessor=key))
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret not in dump.getvalue() and secret[16:48] not in dump.getvalue()
    assert secret[16:48] not in caplog.text


def test_a_key_rolled_by_hand_takes_its_policy_to_the_successor(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test")
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=DAY)
        traveller.shift(10 * DAY)
        successor, _ = key_roll(key=key, actor=alice, grace=DAY)
        run = rotation_run()
        assert (run.rolled, run.followed) == ([], 1)
        policy = RotationPolicy.objects.get()
        assert policy.key_id == successor.id and policy.next_rotation_at == successor.created_at + 30 * DAY
        assert not SealedSecret.objects.exists()  # the person who rolled saw the secret already


def test_a_revoked_key_is_not_rotated_and_its_policy_says_why(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test")
        rotation_policy_set(key=key, actor=alice, interval=DAY, grace=timedelta(hours=1))
        key_revoke(key=key, actor=alice)
        traveller.shift(2 * DAY)
        run = rotation_run()
        assert run.rolled == [] and run.skipped == [key.id]
        policy = RotationPolicy.objects.get()
        assert not policy.enabled and "revoked" in policy.last_error
        assert not APIKey.objects.filter(predecessor=key).exists()


def test_one_failing_roll_does_not_stop_the_others(make_key, alice, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keys.apikeys import rotation

    with time_machine.travel(NOW, tick=False) as traveller:
        bad, _ = make_key(environment="test", name="bad")
        good, _ = make_key(environment="test", name="good")
        for key in (bad, good):
            rotation_policy_set(key=key, actor=alice, interval=DAY, grace=timedelta(hours=1))
        real_roll = rotation.key_roll

        def flaky_roll(*, key, **kwargs):  # type: ignore[no-untyped-def]
            if key.pk == bad.pk:
                raise RuntimeError("disk on fire")
            return real_roll(key=key, **kwargs)

        monkeypatch.setattr(rotation, "key_roll", flaky_roll)
        traveller.shift(DAY)
        run = rotation_run()
        assert (run.rolled, run.failed) == ([good.id], [bad.id])
        policy = RotationPolicy.objects.get(key=bad)
        assert policy.last_error == "disk on fire" and policy.next_rotation_at > timezone.now()
        assert not APIKey.objects.filter(predecessor=bad).exists()


def test_the_team_maximum_key_age_rolls_old_keys_with_the_default_grace(make_key, org, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_ROTATION_DEFAULT_GRACE_HOURS = 48
    with time_machine.travel(NOW, tick=False) as traveller:
        old, _ = make_key(environment="test", name="old")
        traveller.shift(20 * DAY)
        young, _ = make_key(environment="test", name="young")
        set_policy(org, max_age_days=30)
        assert rotation_run().rolled == []
        traveller.shift(11 * DAY)
        assert rotation_run().rolled == [old.id]
        assert rotation_run().rolled == []
        old.refresh_from_db()
        assert old.grace_until == timezone.now() + timedelta(hours=48)
        assert SealedSecret.objects.filter(key__predecessor=old).exists()
        assert not APIKey.objects.filter(predecessor=young).exists()


@pytest.mark.parametrize(
    ("interval", "grace", "field"),
    [
        (timedelta(hours=12), timedelta(hours=1), "interval"),  # under a day outside development
        (timedelta(days=4000), timedelta(days=1), "interval"),
        (timedelta(days=7), timedelta(minutes=5), "grace"),  # the old key would stop before anyone has the new one
        (timedelta(days=7), timedelta(days=7), "grace"),  # grace must end before the next roll
        (timedelta(days=90), timedelta(days=31), "grace"),
    ],
)
def test_a_policy_outside_the_limits_is_refused(make_key, alice, interval, grace, field, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_ROTATION_ALLOW_MINUTES = False
    key, _ = make_key(environment="test")
    with pytest.raises(ValidationError) as caught:
        rotation_policy_set(key=key, actor=alice, interval=interval, grace=grace)
    assert field in caught.value.message_dict
    assert not RotationPolicy.objects.exists()


def test_minute_policies_exist_for_development_only(make_key, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_ROTATION_ALLOW_MINUTES = True
    key, _ = make_key(environment="test")
    policy = rotation_policy_set(key=key, actor=alice, interval=timedelta(minutes=3), grace=timedelta(minutes=1))
    assert policy.next_rotation_at == key.created_at + timedelta(minutes=3)


def test_only_active_keys_get_a_policy_and_clearing_is_idempotent(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    key_roll(key=key, actor=alice, grace=DAY)
    with pytest.raises(KeyConflict):
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=DAY)
    other, _ = make_key(environment="test")
    rotation_policy_set(key=other, actor=alice, interval=30 * DAY, grace=DAY)
    rotation_policy_clear(key=other, actor=alice)
    rotation_policy_clear(key=other, actor=alice)
    assert not RotationPolicy.objects.exists()
    assert AuditEvent.objects.filter(action="key.rotation_policy_cleared").count() == 1
    assert APIKey.objects.get(pk=other.pk).status == KeyStatus.ACTIVE


def test_a_key_rolled_by_hand_after_the_job_claimed_its_policy_is_skipped_not_failed(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    """The race test_no_deadlocks found: an API roll lands between the job's claim and its own roll."""
    from keys.apikeys import rotation

    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", scopes=["orders:write"])
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=2 * DAY)
        traveller.shift(30 * DAY)
        manual, _ = key_roll(key=key, actor=alice, grace=DAY)
        # The job's claim still points at the old key: roll it as the job would, without the follow-up pass.
        assert rotation._roll_next_policy(timezone.now(), exclude=[]) == ("skipped", key.id)
        assert RotationPolicy.objects.get().last_error == ""
        assert list(APIKey.objects.filter(predecessor=key)) == [manual]
        run = rotation_run()  # the next run moves the policy onto the hand-rolled successor
        assert run.failed == [] and RotationPolicy.objects.get().key_id == manual.id
