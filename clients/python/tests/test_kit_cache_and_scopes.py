"""The kit's verdict cache is bounded and expires; its scope rule is the platform's."""

from __future__ import annotations

import pytest
from keyhouse_client import scopes as kit_scopes
from keyhouse_client.cache import TTLCache

from keys import scopes as platform_scopes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl_and_never_after_their_own_shorter_one() -> None:
    clock = Clock()
    cache: TTLCache[str] = TTLCache(ttl=5, maxsize=10, clock=clock)
    cache.set("a", "A", tag="k1")
    cache.set("b", "B", tag="k2", ttl=1)
    cache.set("c", "C", tag="k3", ttl=60)  # capped at the cache's own ttl
    clock.now += 1
    assert cache.get("a") == "A" and cache.get("b") is None
    clock.now += 4
    assert cache.get("a") is None and cache.get("c") is None


def test_a_zero_or_negative_lifetime_is_not_stored() -> None:
    cache: TTLCache[str] = TTLCache(ttl=0, maxsize=10)
    cache.set("a", "A", tag="k1")
    assert cache.get("a") is None and len(cache) == 0
    cache = TTLCache(ttl=5, maxsize=10)
    cache.set("a", "A", tag="k1", ttl=-3)  # a key that already expired
    assert cache.get("a") is None


def test_the_cache_keeps_at_most_maxsize_entries_dropping_the_least_recently_used() -> None:
    cache: TTLCache[int] = TTLCache(ttl=60, maxsize=2)
    cache.set("a", 1, tag="k1")
    cache.set("b", 2, tag="k2")
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.set("c", 3, tag="k3")
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.invalidate("k2") == 0  # its index entry went with it


def test_invalidate_drops_every_entry_of_one_tag_only() -> None:
    cache: TTLCache[int] = TTLCache(ttl=60, maxsize=10)
    cache.set("a@1.2.3.4", 1, tag="key1")
    cache.set("a@5.6.7.8", 2, tag="key1")
    cache.set("b", 3, tag="key2")
    assert cache.invalidate("key1") == 2
    assert cache.get("a@1.2.3.4") is None and cache.get("a@5.6.7.8") is None and cache.get("b") == 3


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TTLCache(ttl=1, maxsize=0)


def test_the_kits_scope_rule_matches_the_platform_registry_for_every_scope() -> None:
    for scope in platform_scopes.all_scopes():
        assert kit_scopes.expand([scope]) == platform_scopes.expand([scope]), scope


def test_write_implies_read_but_not_the_other_way_and_extras_stand_alone() -> None:
    assert kit_scopes.missing(["orders:write"], ["orders:read", "orders:write"]) == []
    assert kit_scopes.missing(["orders:read"], ["orders:write"]) == ["orders:write"]
    assert kit_scopes.missing(["keys:manage"], ["keys:read", "keys:verify"]) == ["keys:verify"]
    assert kit_scopes.missing(["keys:verify"], ["keys:read"]) == ["keys:read"]


def test_the_kits_key_format_check_agrees_with_the_platforms_parser() -> None:
    from keyhouse_client.verify import well_formed

    from keys.apikeys import tokens

    good = tokens.build("ak", "live", tokens.random_base62(8))
    assert well_formed(good) and tokens.parse(good, prefix="ak") is not None
    for bad in (
        good[:-1] + ("0" if good[-1] != "0" else "1"),
        good + "\n",
        good[:-1],
        "",
        good.replace("live", "prod"),
    ):
        assert not well_formed(bad), bad
        assert tokens.parse(bad, prefix="ak") is None
