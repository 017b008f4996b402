"""Single-use nonces for signed requests: a replayed request finds its nonce already taken.

With Redis, one `SET key 1 NX EX ttl`: atomic across every web node. Without Redis, the Django
cache's `add()`, which is atomic in one process (development and the embedded set-up).
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from lib.redis import get_redis, namespaced


def _name(scope: str, nonce: str) -> str:
    # Hashing bounds the key length whatever the client sends, and keeps nonces out of Redis dumps.
    return f"nonce:{scope}:{hashlib.sha256(nonce.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


def nonce_reserve(*, scope: str, nonce: str, ttl: int) -> bool:
    """Reserve `nonce` within `scope` (a key id) for `ttl` seconds; False when it was already used."""
    name = _name(scope, nonce)
    client = get_redis()
    if client is not None:
        return bool(client.set(namespaced(name), b"1", nx=True, ex=max(1, ttl)))
    return bool(cache.add(name, 1, timeout=max(1, ttl)))
