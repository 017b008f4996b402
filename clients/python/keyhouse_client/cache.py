"""A small thread-safe LRU cache whose entries expire, and which can drop every entry of one key id.

Entries are stored under a digest of what was presented, never the plaintext, so a heap dump of a
service does not hand out its callers' keys.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """At most `maxsize` entries, each fresh for at most `ttl` seconds (or less, per entry)."""

    def __init__(self, *, ttl: float, maxsize: int, clock: Callable[[], float] = time.monotonic) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, str, V]] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}

    def get(self, key: str) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            deadline, tag, value = entry
            if self._clock() >= deadline:
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: V, *, tag: str, ttl: float | None = None) -> None:
        """Store `value`; `tag` (a key id or a jti) lets `invalidate(tag)` drop it later."""
        lifetime = self.ttl if ttl is None else min(ttl, self.ttl)
        if lifetime <= 0:
            return
        with self._lock:
            if key in self._entries:
                self._remove(key)
            self._entries[key] = (self._clock() + lifetime, tag, value)
            self._by_tag.setdefault(tag, set()).add(key)
            while len(self._entries) > self.maxsize:
                self._remove(next(iter(self._entries)))

    def invalidate(self, tag: str) -> int:
        """Drop every entry stored with `tag`; returns how many there were."""
        with self._lock:
            keys = self._by_tag.pop(tag, set())
            for key in keys:
                self._entries.pop(key, None)
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_tag.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _remove(self, key: str) -> None:
        _, tag, _ = self._entries.pop(key)
        keys = self._by_tag.get(tag)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_tag[tag]
