"""Fixed-window counters for per-key rate limits and brute-force limits.

With Redis, one pipelined round trip (INCR + EXPIRE) per check; without it, the local cache, which
is only per process and meant for development.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from lib.redis import get_redis, namespaced


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    reset: int  # seconds until the window resets

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w=60",
        }

    def as_dict(self) -> dict[str, int]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": self.reset}


def hit(name: str, limit: int, period: int = 60) -> Window:
    """Count one hit against `name` in the current window and report the window."""
    now = time.time()
    window = int(now // period)
    reset = max(1, int((window + 1) * period - now))
    key = f"rl:{name}:{window}"
    client = get_redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        full = namespaced(key)
        pipe.incr(full)
        pipe.expire(full, period + 1)
        count = int(pipe.execute()[0])
    else:
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=period + 1)
            count = 1
    return Window(limit=limit, count=count, reset=reset)
