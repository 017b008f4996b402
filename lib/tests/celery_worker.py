"""Test helpers for the end-to-end tests that run a real Celery worker in a subprocess (webhooks and
monitoring): the worker shares pytest-django's test database (those tests commit: transactional_db) and
the Redis broker of the test run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class Notifies(Protocol):
    """What `wait_for` wakes on: a receiver that notifies `changed` whenever it gets a request."""

    changed: threading.Condition


def database_url() -> str:
    """The test database as a DATABASE_URL, for a process that must see what this one commits."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(*options: str, env: dict[str, str], log: Path) -> Iterator[None]:
    """Run `celery -A config worker --pool=solo` (plus `options`) against the test database, with `env`
    over this process's environment and tasks really sent to the broker, its output in `log`; on leaving,
    stop it (SIGTERM, then kill) and close this thread's connection, which the worker's commits outdated."""
    from config.celery_app import app

    app.control.purge()  # leftovers of earlier runs on this Redis database
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", *options]
    environment = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0", **env}
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        connection.close()


def wait_for(condition: Callable[[], Any], receiver: Notifies, log: Path, *, timeout: float = 90) -> None:
    """Poll until `condition()` holds, waking early whenever the receiver gets a request; fail with the
    tail of the worker's log after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"condition not met within {timeout:g} s; worker log:\n{log.read_text()[-4000:]}")
        with receiver.changed:
            receiver.changed.wait(timeout=min(0.25, remaining))
