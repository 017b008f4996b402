"""Per-credential rate limits without a Redis round trip per request (DESIGN 6, docs/api-keys.md).

The same fixed 60-second windows as `lib.ratelimit.hit`, shared across nodes in the same Redis
counter, but each process counts hits locally and reconciles them with Redis in the background every
KEYS_RATE_LIMIT_SYNC_MS (one pipelined INCRBY per key with unsynced hits). A hit pays a round trip of
its own only when the process's estimate of the window (the last global count it saw plus its own
unsynced hits) is at or beyond KEYS_RATE_LIMIT_LOCAL_SHARE of the limit, on a key's first hit in a
window, or when that estimate is older than two sync intervals (the key was idle here); from there on every hit is counted in Redis at once, so the refusal is as exact as
`hit`.

Accuracy: a process never refuses a request the exact counter would allow. It can admit more than
the limit only when the other processes' hits not yet reconciled (at most one sync interval of
them) exceed the (1 - share) margin; `bench/ratelimit_accuracy.py` measures it.

Without Redis this is `lib.ratelimit.hit` (the local cache: already no round trip).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

from lib.ratelimit import Window, hit
from lib.redis import get_redis, namespaced

logger = logging.getLogger(__name__)


@dataclass
class _Slot:
    window: int
    period: int
    seen: int = 0  # the global count Redis last reported, including our synced hits
    unsynced: int = 0  # our hits Redis has not been told about
    learned_at: float = 0.0  # when `seen` came from Redis (monotonic)


class LocalCounters:
    """One process's view of the per-credential windows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.round_trips = 0  # hits that paid a round trip (for the bench and stats)
        self.local_hits = 0

    def hit(self, name: str, limit: int, period: int = 60) -> Window:
        client = get_redis()
        if client is None:
            return hit(name, limit, period)
        now = time.time()
        window = int(now // period)
        reset = max(1, int((window + 1) * period - now))
        with self._lock:
            slot = self._slots.get(name)
            fresh = slot is None or slot.window != window
            if slot is None or fresh:
                slot = self._slots[name] = _Slot(window=window, period=period)
            estimate = slot.seen + slot.unsynced + 1
            # `seen` older than two sync intervals (the key was idle here) may miss other nodes' hits.
            recent = time.monotonic() - slot.learned_at < 2 * settings.KEYS_RATE_LIMIT_SYNC_SECONDS
            # This process may run ahead of Redis by a share of the headroom it last saw: with N processes
            # together at most N x share of it, so the limit holds for up to 1 / share processes.
            budget = (limit - slot.seen) * settings.KEYS_RATE_LIMIT_LOCAL_SHARE
            if not fresh and recent and slot.unsynced + 1 <= budget:
                slot.unsynced += 1
                self.local_hits += 1
                self._ensure_thread()
                return Window(limit=limit, count=estimate, reset=reset)
            delta = slot.unsynced + 1
            slot.unsynced = 0
        try:
            count = self._push(client, name, window, period, delta)
        except redis.RedisError:
            with self._lock:
                slot.unsynced += delta
            raise
        with self._lock:
            self.round_trips += 1
            if slot.window == window:
                slot.seen = max(slot.seen, count)
                slot.learned_at = time.monotonic()
        return Window(limit=limit, count=count, reset=reset)

    @staticmethod
    def _push(client: redis.Redis, name: str, window: int, period: int, delta: int) -> int:
        full = namespaced(f"rl:{name}:{window}")
        pipe = client.pipeline(transaction=False)
        pipe.incrby(full, delta)
        pipe.expire(full, period + 1)
        return int(pipe.execute()[0])

    def sync(self) -> None:
        """Push every unsynced count and learn the global ones (the background thread calls this)."""
        client = get_redis()
        if client is None:
            return
        now = time.time()
        with self._lock:
            for name in [n for n, s in self._slots.items() if s.window < int(now // s.period)]:
                del self._slots[name]  # past windows: Redis lets their counters expire
            due = [(name, slot, slot.unsynced) for name, slot in self._slots.items() if slot.unsynced]
            for _, slot, taken in due:
                slot.unsynced -= taken
        if not due:
            return
        pipe = client.pipeline(transaction=False)
        for name, slot, taken in due:
            # No EXPIRE: the slot's first hit set it (`_push`); one sync of many keys stays one INCRBY each.
            pipe.incrby(namespaced(f"rl:{name}:{slot.window}"), taken)
        try:
            results = pipe.execute()
        except redis.RedisError:
            with self._lock:
                for _, slot, taken in due:
                    slot.unsynced += taken
            raise
        learned = time.monotonic()
        created = []
        with self._lock:
            for (name, slot, taken), count in zip(due, results, strict=True):
                slot.seen = max(slot.seen, int(count))
                slot.learned_at = learned
                if int(count) == taken:  # the counter was gone (Redis restarted or flushed): give it its TTL
                    created.append((name, slot))
        if created:
            pipe = client.pipeline(transaction=False)
            for name, slot in created:
                pipe.expire(namespaced(f"rl:{name}:{slot.window}"), slot.period + 1)
            pipe.execute()

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid:
            return
        # Called under the lock; a forked worker starts its own thread.
        self._pid = pid
        self._thread = threading.Thread(target=self._run, name="ratelimit-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(settings.KEYS_RATE_LIMIT_SYNC_SECONDS)
            try:
                self.sync()
            except Exception:
                logger.warning("rate-limit counters could not be reconciled; kept for the next try", exc_info=True)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


counters = LocalCounters()


def credential_hit(name: str, limit: int) -> Window:
    """Count one request against a credential's own limit (requests per minute)."""
    return counters.hit(name, limit)
