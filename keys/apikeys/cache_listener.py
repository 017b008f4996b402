"""The key cache's listener thread: hears invalidations on Redis pub/sub and proves it is caught up.

It subscribes to `channel()` and PINGs Redis every `heartbeat` seconds on the same connection. Redis
answers a PING only after delivering every message published before it, so each PONG moves
`live_until` (the time up to which the cache may be used) to the PING's send time plus
KEYS_CACHE_MAX_STALENESS (keys.apikeys.cache explains the bound).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

import redis
from django.conf import settings

from lib.redis import get_redis, namespaced

if TYPE_CHECKING:
    from keys.apikeys.cache import KeyCache

logger = logging.getLogger("keys.cache")


def clock() -> float:
    """CLOCK_MONOTONIC read directly, for every age and deadline here.

    Not `time.monotonic()`: time-travel libraries patch it in every thread (time_machine returns the
    travelled wall-clock time), so a test that travels an hour ahead while the listener sends a PING
    left the heartbeat scheduled an hour away and `live_until` an hour ahead: no more PINGs, the cache
    trusted without them, and `caught_up()` returning at once (the intermittent full-run failures).
    """
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def channel() -> str:
    """Pub/sub ignores the Redis db number, so the channel carries it next to the cache key prefix."""
    client = get_redis()
    db = client.connection_pool.connection_kwargs.get("db", 0) if client is not None else 0
    return namespaced(f"{db}:keys:cache")


class CacheListener(threading.Thread):
    """Subscribes to the invalidation channel and keeps `live_until` ahead while Redis answers."""

    def __init__(self, cache: KeyCache) -> None:
        super().__init__(name="keys-cache-listener", daemon=True)
        self.cache = cache
        self.live_until = 0.0
        self.subscriptions = 0
        self.client_name = ""
        # PINGs are numbered, so "answered after this call" needs no clock: `caught_up` waits for the number
        # after the last one sent, which can only go out after the call began.
        self._answered = threading.Condition()
        self.pings_sent = 0
        self.pings_answered = 0  # the number of the last PING answered while subscribed

    def caught_up(self, timeout: float) -> bool:
        """Wait until every invalidation published before this call has been applied (a later PING answered)."""
        with self._answered:
            wanted = self.pings_sent + 1
            return self._answered.wait_for(lambda: self.pings_answered >= wanted, timeout)

    def run(self) -> None:
        backoff = 0.05
        while True:
            try:
                self._listen()
            except (redis.RedisError, OSError, ValueError) as exc:
                logger.warning("key cache lost its subscription (%s); strict mode until it is back", exc)
            except Exception:
                logger.exception("key cache listener failed; strict mode until it is back")
            self.live_until = 0.0
            self.cache.clear()
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _listen(self) -> None:
        staleness = settings.KEYS_CACHE_MAX_STALENESS
        heartbeat = max(0.01, min(0.25, staleness / 4))
        self.client_name = f"{namespaced('keys-cache')}:{os.getpid()}"  # CLIENT LIST shows whose it is
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=staleness * 2, socket_connect_timeout=2, client_name=self.client_name
        )
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(channel())
            subscribed = False
            ping_sent: float | None = None
            ping_number = 0
            next_ping = 0.0
            while True:
                now = clock()
                if ping_sent is None and now >= next_ping:
                    ping_sent = now
                    with self._answered:
                        self.pings_sent += 1
                        ping_number = self.pings_sent
                    pubsub.ping()
                elif ping_sent is not None and now - ping_sent > staleness * 2:
                    raise redis.TimeoutError("no answer to PING")
                message = pubsub.get_message(timeout=heartbeat)
                if message is None:
                    continue
                kind = message["type"]
                if kind == "subscribe":
                    # Whatever was published while we were not listening is unknown: start empty.
                    self.cache.clear()
                    self.subscriptions += 1
                    subscribed = True
                elif kind == "message":
                    data = message["data"]
                    self.cache.apply(data.decode() if isinstance(data, bytes) else str(data))
                elif kind == "pong" and ping_sent is not None:
                    if subscribed:
                        self.live_until = ping_sent + staleness
                        with self._answered:
                            self.pings_answered = ping_number
                            self._answered.notify_all()
                    next_ping = ping_sent + heartbeat
                    ping_sent = None
        finally:
            pubsub.close()
            client.close()
