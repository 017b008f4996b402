"""Celery tasks for accounts: the email outbox. Thin: each calls one service."""

from __future__ import annotations

from celery import shared_task

from accounts import outbox
from lib.jobs import queue_each


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=8)
def send_email(email_id: int) -> bool:
    """Send one queued email; a copy of this task, or a sent one, sends nothing."""
    return outbox.email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_emails() -> int:
    """Every 5 minutes: queue emails whose task was lost (broker down at commit, retries exhausted, crashed worker)."""
    return queue_each(send_email, outbox.emails_due())
