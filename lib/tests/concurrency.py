"""Test helpers for what two database sessions do at once (PostgreSQL-marked tests of every app).

Each helper runs its work on threads of its own, so each has its own database connection, and closes
those connections when the thread ends: pytest-django's teardown cannot flush a table another open
connection still holds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connections, transaction


def run_at_once(*works: Callable[[], object], timeout: float = 60) -> None:
    """Run each of `works` on its own thread, all released together by a barrier; return when all ended
    (or `timeout` seconds passed for each). What a work raises is its own business: catch it inside."""
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        barrier.wait()
        try:
            work()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


@contextmanager
def held_open(hold: Callable[[], object], *, timeout: float = 30) -> Iterator[None]:
    """Run `hold()` inside a transaction on another session and keep that transaction open (with every
    lock `hold` took) for the with-block; it commits when the block ends. Fails if `hold` has not
    finished within `timeout` seconds."""
    held, release = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with transaction.atomic():
                hold()
                held.set()
                release.wait(timeout=timeout)
        finally:
            connections.close_all()

    holder = threading.Thread(target=run)
    holder.start()
    try:
        assert held.wait(timeout=timeout), "the other session did not take its locks in time"
        yield
    finally:
        release.set()
        holder.join(timeout=timeout)
