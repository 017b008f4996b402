"""Fixed-window counters: every hit counts, and the window says when the limit is passed."""

from __future__ import annotations

from lib.ratelimit import hit


def test_hits_count_up_within_a_window_and_the_limit_is_reported() -> None:
    first = hit("lib-test:counter", limit=2)
    second = hit("lib-test:counter", limit=2)
    third = hit("lib-test:counter", limit=2)
    assert [w.count - first.count for w in (first, second, third)] == [0, 1, 2]
    assert third.count > third.limit and not third.allowed and third.remaining == 0
    assert third.headers()["RateLimit-Limit"] == "2" and 1 <= third.reset <= 60
    assert hit("lib-test:other", limit=2).allowed  # another name has its own window
