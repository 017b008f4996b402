"""Celery jobs: the defaults of the idempotent ones, a sweep's re-queueing, and follow-up work queued on commit.

Services never import their app's tasks (tasks import services): they name the task instead, and this
module imports it only when the transaction has committed. That keeps the import graph acyclic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from celery import shared_task
from django.db import DatabaseError, transaction


def idempotent_task(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`shared_task` for a job that is safe to run twice: acknowledged late (a worker lost mid-run leaves the
    message to be redelivered), no result stored, and database errors retried (with the job's `retry_backoff`
    and `max_retries`). `options` (the retry schedule, time limits) add to these."""
    return shared_task(acks_late=True, ignore_result=True, autoretry_for=(DatabaseError,), **options)


def queue_each(task: Any, ids: Sequence[Any]) -> int:
    """A sweep's second half: queue `task` once for each id found due (a duplicate copy does nothing, the
    tasks are idempotent); returns how many were queued."""
    for item in ids:
        task.delay(item)
    return len(ids)


def enqueue_on_commit(task: str, *args: Any, countdown: float | None = None) -> None:
    """Run `task` (a dotted path such as `webhooks.tasks.deliver`) with `args` after commit.

    `robust=True`: if the broker is down at commit time the change still stands and the request does
    not fail; the work is already stored in the database, and a beat sweep picks it up.
    """
    module_name, _, name = task.rpartition(".")

    def enqueue() -> None:
        target = getattr(import_module(module_name), name)
        target.apply_async(args, countdown=countdown if countdown and countdown > 0 else None)

    # Django logs a failed robust callback by its __qualname__: name the task, not "enqueue".
    enqueue.__qualname__ = f"enqueue_on_commit[{task}]"
    transaction.on_commit(enqueue, robust=True)
