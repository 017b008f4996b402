"""Fixtures of the accounts tests: tasks queued on commit (the outbox's sends) run inline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    """`accounts.tasks.send_email`, queued after commit, runs inline instead of reaching for a broker."""
    from config.celery_app import app

    # The app reads Django settings under the CELERY_ namespace, so the override needs the prefixed name.
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = before
