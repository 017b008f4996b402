"""Celery tasks for webhooks. Thin: each takes ids and calls one service; each is idempotent."""

from __future__ import annotations

from celery import shared_task

from lib.jobs import idempotent_task, queue_each
from webhooks import services


@idempotent_task(retry_backoff=5, max_retries=5, soft_time_limit=45, time_limit=60)
def deliver(delivery_id: int) -> None:
    """Make one attempt of a delivery if it is still due; a duplicate or late copy of this task does nothing."""
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep() -> int:
    """Every 30 s: queue deliveries that are due (long retries, lost tasks, crashed workers). Safe to run twice."""
    return queue_each(deliver, services.deliveries_due())


@shared_task(acks_late=True, ignore_result=True)
def prune() -> dict[str, int]:
    """Daily: delete messages past WEBHOOK_RETENTION_DAYS and secrets whose rotation grace has ended."""
    return services.deliveries_prune()
