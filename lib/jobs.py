"""Queue follow-up work once the current transaction commits.

Services never import their app's tasks (tasks import services): they name the task instead, and this
module imports it only when the transaction has committed. That keeps the import graph acyclic.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.db import transaction


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
