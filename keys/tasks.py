"""Celery tasks for keys. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task

from keys.services import usage_rollup as usage_rollup_service


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def usage_rollup() -> int:
    """Every minute: move the Redis usage counters into hourly buckets and `last_used_at` (idempotent)."""
    return usage_rollup_service()
