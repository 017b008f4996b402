"""Per-credential limits counted locally and reconciled with Redis (lib.ratelimit_local)."""

from __future__ import annotations

import pytest
from django.conf import settings

from lib.ratelimit_local import LocalCounters


def test_without_redis_every_hit_is_counted_in_the_local_cache() -> None:
    if settings.REDIS_URL:
        pytest.skip("runs without REDIS_URL")
    counters = LocalCounters()
    windows = [counters.hit("lib-test:local", 3) for _ in range(4)]
    assert [w.allowed for w in windows] == [True, True, True, False]
    assert counters.round_trips == 0


@pytest.mark.redis
def test_an_estimate_older_than_two_sync_intervals_is_read_again(settings) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    settings.KEYS_RATE_LIMIT_SYNC_SECONDS = 0  # every estimate is already too old
    first, second = LocalCounters(), LocalCounters()
    first.hit("lib-test:idle", 100)
    for _ in range(4):
        second.hit("lib-test:idle", 100)
    assert first.hit("lib-test:idle", 100).count == 6
    assert first.local_hits == 0


@pytest.mark.redis
def test_far_from_the_limit_hits_are_local_and_near_it_every_hit_is_exact(settings) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    settings.KEYS_RATE_LIMIT_SYNC_SECONDS = 3600  # reconciled by round trips only
    counters = LocalCounters()
    windows = [counters.hit("lib-test:far", 100) for _ in range(12)]
    assert [w.count for w in windows] == list(range(1, 13))
    # The first hit learns the window (headroom 99, budget 9.9): hits 2 to 10 are local, the 11th
    # pushes them with itself; the 12th is local again (headroom 89).
    assert counters.round_trips == 2 and counters.local_hits == 10
    other = LocalCounters()
    for _ in range(87):
        other.hit("lib-test:near", 100)
    other.sync()
    near = [counters.hit("lib-test:near", 100) for _ in range(15)]
    assert [w.allowed for w in near] == [True] * 13 + [False] * 2
    # Headroom 12 and 10 allowed one local hit each; from headroom 8 on every hit was counted in Redis.
    assert counters.local_hits == 12


@pytest.mark.redis
def test_two_processes_share_one_window_after_reconciliation(settings) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    settings.KEYS_RATE_LIMIT_SYNC_SECONDS = 3600  # reconciled by the explicit sync() calls only
    first, second = LocalCounters(), LocalCounters()
    for _ in range(5):
        first.hit("lib-test:shared", 100)
    first.sync()
    window = second.hit("lib-test:shared", 100)  # its first hit in the window reads the shared count
    assert window.count == 6
    for _ in range(3):
        second.hit("lib-test:shared", 100)
    second.sync()
    first.sync()  # nothing unsynced: learns nothing new until its next push
    assert first.hit("lib-test:shared", 100).count == 6  # 5 synced + this one, others not yet seen
    first.sync()
    assert first.hit("lib-test:shared", 100).count == 11  # the sync pushed one and learned the other's 4
