"""Celery tasks for keys. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from keys.services import anomalies, notices, rotation
from keys.services import usage_rollup as usage_rollup_service


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def usage_rollup() -> int:
    """Every minute: move the Redis usage counters into hourly buckets and `last_used_at` (idempotent)."""
    return usage_rollup_service()


# --- Scheduled jobs (docs/jobs.md). Each is idempotent and safe with two beats or workers: the
# services claim work with SELECT … FOR UPDATE SKIP LOCKED, conditional UPDATEs or unique rows.
# Database errors are retried with backoff; the next beat tick would also pick the work up.


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=10, max_retries=3)
def rotate_due_keys() -> dict[str, int]:
    """Every minute: roll keys whose rotation policy (or team maximum age) is due; erase expired sealed secrets."""
    run = rotation.rotation_run()
    return {"rolled": len(run.rolled), "failed": len(run.failed), "destroyed": run.destroyed}


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=30, max_retries=3)
def send_expiry_notices() -> int:
    """Every 5 minutes: `key.expiring` (30/7/1 days) and `key.expired` notices, each sent once."""
    return notices.expiry_notices_run()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    max_retries=2,
    soft_time_limit=240,
    time_limit=280,
)
def scan_anomalies() -> int:
    """Every 5 minutes: run the anomaly detectors and raise alerts (deduplicated, with a cooldown)."""
    return len(anomalies.anomaly_scan().raised)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=3)
def prune_usage_networks() -> int:
    """Hourly: delete per-network usage older than the anomaly detector's memory."""
    return anomalies.usage_networks_prune()
