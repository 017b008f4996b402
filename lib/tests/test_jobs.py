"""Work is queued only when the transaction commits, and a broker failure never fails the change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from lib.jobs import enqueue_on_commit

calls: list[tuple[Any, ...]] = []


class FakeTask:
    """Stands in for a Celery task: records apply_async calls (the unit under test is the on-commit hook)."""

    @staticmethod
    def apply_async(args: tuple[Any, ...], countdown: float | None = None) -> None:
        calls.append((args, countdown))


class BrokenTask:
    @staticmethod
    def apply_async(args: tuple[Any, ...], countdown: float | None = None) -> None:
        raise ConnectionError("broker down")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


@pytest.mark.django_db(transaction=True)
def test_task_runs_only_after_commit_with_its_arguments() -> None:
    with transaction.atomic():
        enqueue_on_commit("lib.tests.test_jobs.FakeTask", 7, "x", countdown=5)
        assert calls == []
    assert calls == [((7, "x"), 5)]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_queues_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("lib.tests.test_jobs.FakeTask", 1)
        raise RuntimeError("rollback")
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_broker_failure_at_commit_does_not_fail_the_change() -> None:
    with transaction.atomic():
        enqueue_on_commit("lib.tests.test_jobs.BrokenTask", 1)
        enqueue_on_commit("lib.tests.test_jobs.FakeTask", 2, countdown=0)
    assert calls == [((2,), None)]
