"""Two beats by mistake (every job queued twice), or two workers running a job at once, do nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import OutboundEmail
from audit.models import AuditChainCheck
from conftest import set_policy
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, RotationPolicy, SealedSecret
from lib.tests.concurrency import run_at_once
from monitoring.models import Alert, ExpiryNotice
from monitoring.tests.helpers import buckets

DAY = timedelta(days=1)


def _due_work(make_key: Any, alice: Any) -> dict[str, APIKey]:
    """One key of each kind of due work: a rotation, an expiry notice, a traffic spike and (the keys made
    ten days ago and never used) the weekly idle report."""
    rotating, _ = make_key(environment="test", name="rotating")
    rotation_policy_set(key=rotating, actor=alice, interval=30 * DAY, grace=DAY)
    RotationPolicy.objects.update(next_rotation_at=timezone.now() - timedelta(minutes=1))
    expiring, _ = make_key(environment="test", name="expiring", expires_at=timezone.now() + 3 * DAY)
    # Made ten days ago, so the 7-day threshold was crossed while it existed (not at its creation).
    APIKey.objects.filter(pk=expiring.pk).update(created_at=timezone.now() - 10 * DAY)
    spiking, _ = make_key(environment="test", name="spiking")
    APIKey.objects.filter(pk=spiking.pk).update(created_at=timezone.now() - 10 * DAY)
    buckets(spiking, [100] * 168 + [5000], end=timezone.now())
    return {"rotating": rotating, "expiring": expiring, "spiking": spiking}


def _beat_jobs() -> list[str]:
    return [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]


def _run_every_job() -> None:
    from config.celery_app import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    for name in _beat_jobs():
        app.tasks[name].apply(throw=True)


def _assert_done_once(work: dict[str, APIKey]) -> None:
    assert APIKey.objects.filter(predecessor=work["rotating"]).count() == 1
    assert SealedSecret.objects.count() == 1
    assert ExpiryNotice.objects.filter(credential_id=work["expiring"].pk).count() == 1
    assert Alert.objects.filter(key=work["spiking"]).count() == 1
    assert AuditChainCheck.objects.count() == 1
    # One email each: the rotation, the expiry notice, the alert and the idle report; each sent once.
    templates = sorted(OutboundEmail.objects.values_list("template", flat=True))
    assert templates == ["idle_credentials_report", "key_expiring", "key_rotated", "usage_anomaly"]
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    assert len(mail.outbox) == 4


@pytest.mark.django_db(transaction=True)
def test_every_beat_job_queued_twice_does_its_work_once(make_key, alice, eager_celery) -> None:  # type: ignore[no-untyped-def]
    assert {
        "monitoring.tasks.usage_rollup",
        "keys.tasks.rotate_due_keys",
        "monitoring.tasks.send_expiry_notices",
        "monitoring.tasks.scan_anomalies",
        "accounts.tasks.sweep_emails",
        "audit.tasks.verify_audit_chain",
        "oauth.tasks.clear_expired_tokens",
        "keys.tasks.send_idle_credentials_report",
    } <= set(_beat_jobs())
    work = _due_work(make_key, alice)
    _run_every_job()  # the first beat's copies
    _run_every_job()  # the second beat's copies
    _assert_done_once(work)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_every_job_at_once_do_its_work_once(make_key, alice, eager_celery) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (runs in CI)")
    work = _due_work(make_key, alice)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            _run_every_job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    run_at_once(worker, worker, timeout=120)
    assert errors == []
    _assert_done_once(work)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rotation_runs_roll_each_due_key_exactly_once(make_key, alice, org, eager_celery) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL (runs in CI)")
    keys = [make_key(environment="test", name=f"k{i}")[0] for i in range(24)]
    for key in keys[:16]:
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=DAY)
    RotationPolicy.objects.update(next_rotation_at=timezone.now() - timedelta(minutes=1))
    # The other 8 are rolled by the team's maximum key age.
    APIKey.objects.filter(pk__in=[k.pk for k in keys[16:]]).update(created_at=timezone.now() - 40 * DAY)
    set_policy(org, max_age_days=30)

    rolled: list[str] = []
    run_at_once(*[lambda: rolled.extend(rotation_run().rolled)] * 4, timeout=120)
    assert sorted(rolled) == sorted(k.id for k in keys)  # each key rolled by exactly one of the runs
    for key in keys:
        assert APIKey.objects.filter(predecessor=key).count() == 1
    assert SealedSecret.objects.count() == 24
    assert rotation_run().rolled == []
