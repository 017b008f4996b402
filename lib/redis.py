"""One shared Redis connection pool for counters, or None when REDIS_URL is not set."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def get_redis() -> redis.Redis | None:
    url = settings.REDIS_URL
    return _client(url) if url else None


def namespaced(name: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'kh')}:{name}"
