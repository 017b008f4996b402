from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from keys.models import APIKey
from keys.services import KeyConflict, key_roll

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_rolls_give_one_successor(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (runs in CI)")
    key, _ = make_key()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def roll() -> None:
        barrier.wait()
        try:
            key_roll(key=APIKey.objects.get(pk=key.pk), actor=alice, grace=timedelta(hours=1))
            outcomes.append("rolled")
        except KeyConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=roll) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "rolled"]
    assert APIKey.objects.filter(predecessor=key).count() == 1
