"""Fixtures of the accounts tests: tasks queued on commit (the outbox's sends) run inline."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _celery_eager(eager_celery: None) -> None:
    """`accounts.tasks.send_email`, queued after commit, runs inline (root conftest's `eager_celery`)."""
