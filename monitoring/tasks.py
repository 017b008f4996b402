"""Celery tasks of monitoring (docs/jobs.md). Thin: each calls one service.

Each is idempotent and safe with two beats or workers: the services claim work with unique rows
(roll-up batches, expiry notices, one unresolved alert per key, kind and subject). Renamed from
keys.tasks.* with the move (issue 9): a message of an old name still queued at deploy is rejected
as unregistered, and the next beat tick does its work.
"""

from __future__ import annotations

from celery import shared_task

from lib.jobs import idempotent_task
from monitoring.services import anomalies, notices
from monitoring.services import usage_rollup as usage_rollup_service


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def usage_rollup() -> int:
    """Every minute: move the Redis usage counters into hourly buckets and `last_used_at` (idempotent)."""
    return usage_rollup_service()


@idempotent_task(retry_backoff=30, max_retries=3)
def send_expiry_notices() -> int:
    """Every 5 minutes: `key.expiring` (30/7/1 days) and `key.expired` notices, each sent once."""
    return notices.expiry_notices_run()


@idempotent_task(retry_backoff=30, max_retries=2, soft_time_limit=240, time_limit=280)
def scan_anomalies() -> int:
    """Every 5 minutes: run the anomaly detectors and raise alerts (deduplicated, with a cooldown)."""
    return len(anomalies.anomaly_scan().raised)


@idempotent_task(retry_backoff=60, max_retries=3)
def prune_usage_networks() -> int:
    """Hourly: delete per-network usage older than the anomaly detector's memory."""
    return anomalies.usage_networks_prune()
