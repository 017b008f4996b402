"""The nonce store: a nonce is reserved once, atomically, for its time to live, per key id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.nonces import nonce_reserve
from lib.redis import get_redis


def test_a_nonce_is_reserved_once_per_key_id() -> None:
    assert nonce_reserve(scope="a", nonce="n-0123456789", ttl=60) is True
    assert nonce_reserve(scope="a", nonce="n-0123456789", ttl=60) is False
    assert nonce_reserve(scope="b", nonce="n-0123456789", ttl=60) is True


@pytest.mark.redis
def test_concurrent_reservations_of_one_nonce_in_redis_let_exactly_one_through() -> None:
    client = get_redis()
    if client is None:
        pytest.skip("needs REDIS_URL (runs in CI)")
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: nonce_reserve(scope="k", nonce="race-0123456789", ttl=60), range(64)))
    assert results.count(True) == 1
    ttl = [client.ttl(k) for k in client.scan_iter(match="*nonce:k:*")]
    assert len(ttl) == 1 and 0 < ttl[0] <= 60
