"""Celery tasks for keys. Thin: each calls one service. (Usage, alerts and notices: monitoring/tasks.py.)"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from keys.apikeys import rotation
from keys.policies import hygiene

# --- Scheduled jobs (docs/jobs.md). Each is idempotent and safe with two beats or workers: the
# services claim work with SELECT … FOR UPDATE SKIP LOCKED, conditional UPDATEs or unique rows.
# Database errors are retried with backoff; the next beat tick would also pick the work up.


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=10, max_retries=3)
def rotate_due_keys() -> dict[str, int]:
    """Every minute: roll keys whose rotation policy (or team maximum age) is due; erase expired sealed secrets."""
    run = rotation.rotation_run()
    return {"rolled": len(run.rolled), "failed": len(run.failed), "destroyed": run.destroyed}


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), retry_backoff=60, max_retries=3)
def send_idle_credentials_report() -> int:
    """Weekly: email each team's owners and admins its idle and never-used credentials (once per ISO week)."""
    return hygiene.idle_report_run()
