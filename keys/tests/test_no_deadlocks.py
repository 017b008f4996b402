"""Rolls and creates through the API while scheduled rotation and expiry notices run: no deadlock, no 500.

Issue 9: `key_roll` locked its key *and the organization row* (select_related without `of=`), then
waited for the single audit-chain lock, while a rotation that held that lock waited on the
organization row for a foreign-key check: PostgreSQL's `deadlock detected`. This runs every writer
of one organization side by side for `DURATION` seconds and counts what went wrong in every thread.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone
from rest_framework.test import APIClient

from audit.services import audit_chain_verify
from conftest import login
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, RotationPolicy
from monitoring.services.notices import expiry_notices_run

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DURATION = 30.0  # seconds every thread keeps writing (issue 9)
DAY = timedelta(days=1)


class Tally:
    """What every thread saw, counted under a lock: outcomes, 5xx responses and database errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()
        self.errors: list[str] = []

    def count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

    def error(self, where: str, exc: BaseException) -> None:
        with self._lock:
            self.errors.append(f"{where}: {type(exc).__name__}: {exc}")


def _newest(key_id: str) -> str:
    """The end of a key's line of successors (the rotation job may have rolled it under us)."""
    while (successor := APIKey.objects.filter(predecessor_id=key_id).values_list("id", flat=True).first()) is not None:
        key_id = successor
    return key_id


def _expiring() -> str:
    return (timezone.now() + 3 * DAY).isoformat()


def test_rolls_creates_rotation_and_notices_at_once_never_deadlock(make_key, alice, eager_celery) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row and advisory locks need PostgreSQL (runs in CI)")
    # Keys that expire within the notice window and carry rotation policies, so every job has work
    # on the same organization, and the API rollers' keys are also the rotation job's.
    starts = []
    for i in range(4):
        key, _ = make_key(environment="test", name=f"busy {i}", expires_at=timezone.now() + 3 * DAY)
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=DAY)
        starts.append(key.id)
    clients = [login(APIClient(), alice) for _ in range(4)]
    tally = Tally()
    barrier = threading.Barrier(6)
    deadline: list[float] = []

    def run(where: str, step: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=60)
            while time.monotonic() < deadline[0]:
                try:
                    step()
                except DatabaseError as exc:  # a deadlock, a lock timeout, a serialization failure...
                    tally.error(where, exc)
        except Exception as exc:  # anything else is a failure too, never a silent thread death
            tally.error(where, exc)
        finally:
            connection.close()

    def roller(client: APIClient, first: str) -> Callable[[], None]:
        current = [first]

        def step() -> None:
            response = client.post(f"/api/v1/keys/{current[0]}/roll", {"grace_seconds": 3600}, format="json")
            tally.count(f"roll {response.status_code}")
            if response.status_code == 200:
                current[0] = response.json()["successor"]["id"]
            else:  # 409: already rolled (by the rotation job); carry on with its successor
                current[0] = _newest(current[0])

        return step

    def creator(client: APIClient, n: int) -> Callable[[], None]:
        def step() -> None:
            body = {"name": f"created {n}", "scopes": ["orders:read"], "environment": "test", "expires_at": _expiring()}
            response = client.post("/api/v1/keys/", body, format="json")
            tally.count(f"create {response.status_code}")

        return step

    def rotation() -> None:
        # Always due again; a policy the job switched off because the API rolled its key first is
        # followed onto the successor by the next run and switched back on here.
        RotationPolicy.objects.update(next_rotation_at=timezone.now() - timedelta(minutes=1), enabled=True)
        run = rotation_run()
        tally.count("rotated" if run.rolled else "rotation idle")
        if run.failed:  # the job catches a failed roll per key; it is a failure here all the same
            reasons = list(RotationPolicy.objects.filter(key_id__in=run.failed).values_list("last_error", flat=True))
            tally.error("rotation_run", RuntimeError(f"keys {run.failed} failed: {reasons}"))

    def notices() -> None:
        # Keys made during the run were made inside the notice window, so they crossed no threshold
        # after their creation (no notice is due); aged ten days, every pass has notices to send.
        fresh = APIKey.objects.filter(name__startswith="created ", created_at__gt=timezone.now() - DAY)
        fresh.update(created_at=timezone.now() - 10 * DAY)
        tally.count("noticed" if expiry_notices_run() else "notices idle")

    threads = [
        threading.Thread(target=run, args=("roll 1", roller(clients[0], starts[0]))),
        threading.Thread(target=run, args=("roll 2", roller(clients[1], starts[1]))),
        threading.Thread(target=run, args=("create 1", creator(clients[2], 1))),
        threading.Thread(target=run, args=("create 2", creator(clients[3], 2))),
        threading.Thread(target=run, args=("rotation_run", rotation)),
        threading.Thread(target=run, args=("expiry_notices_run", notices)),
    ]
    deadline.append(time.monotonic() + DURATION)
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DURATION + 120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"

    seen: dict[str, Any] = dict(tally.outcomes)
    assert not tally.errors, tally.errors[:5]
    assert not [o for o in seen if o.split()[-1].startswith("5")], seen
    assert seen.get("roll 200") and seen.get("create 201") and seen.get("rotated") and seen.get("noticed"), seen
    assert set(seen) <= {"roll 200", "roll 409", "create 201", "rotated", "rotation idle", "noticed", "notices idle"}
    report = audit_chain_verify()
    assert report.ok, report.message
