from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from keys.models import APIKey
from keys.services import KeyConflict, key_roll
from lib.tests.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_rolls_give_one_successor(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (runs in CI)")
    key, _ = make_key()
    outcomes: list[str] = []

    def roll() -> None:
        try:
            key_roll(key=APIKey.objects.get(pk=key.pk), actor=alice, grace=timedelta(hours=1))
            outcomes.append("rolled")
        except KeyConflict:
            outcomes.append("conflict")

    run_at_once(roll, roll, timeout=30)
    assert sorted(outcomes) == ["conflict", "rolled"]
    assert APIKey.objects.filter(predecessor=key).count() == 1
