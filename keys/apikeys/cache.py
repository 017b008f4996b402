"""The warm verification path (KEYS_CACHE=on): a per-process LRU of verified API-key records.

An entry is the key row with its organization (the single-row truths `key_check` judges: digest,
status, expiry and grace, scopes, environment, networks, rate limit, organization), so a warm
request costs no network round trip. Every judgement is still made on every request from the
entry, and expiry against the clock, so expiry and the end of a roll grace are exact.

Bound (docs/api-keys.md): every change that can make a key stop working saves its row (or its
organization's or a membership's), which drops the entry in this process at once and, on commit,
publishes an invalidation on the Redis channel `<CACHE_KEY_PREFIX>:<db>:keys:cache`. Each process
has a listener thread subscribed to it that PINGs Redis every `heartbeat` seconds on the same
connection; Redis answers a PING after every message published before it, so a PONG proves this
process has applied every invalidation published until that PING was sent. Entries are used only
while the last answered PING was sent less than KEYS_CACHE_MAX_STALENESS ago; otherwise (no
subscription yet, connection lost, Redis down) the process is in strict mode, reading the database
on every request, until it has resubscribed (and dropped every entry: whatever it missed is gone).

Without Redis there is nothing to listen to: entries then live at most KEYS_CACHE_MAX_STALENESS,
and changes made by this process drop them at once, which keeps the same bound.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.base import ModelState

from keys.apikeys.cache_listener import CacheListener, channel, clock
from keys.core import lookup
from lib.conf import Snapshot
from lib.redis import get_redis

if TYPE_CHECKING:
    from keys.models import APIKey

logger = logging.getLogger("keys.cache")
_conf = Snapshot("KEYS_CACHE", "REDIS_URL", "KEYS_CACHE_TTL", "KEYS_CACHE_MAX_STALENESS")  # read on every request

STRICT = "strict"
ON = "on"
ALL = "*"  # the message that drops every entry
REVALIDATE_AT = 0.5  # of an entry's lifetime: from this age on, an entry in use is re-read in a batch
SWEEP_EVERY = 0.25  # of the lifetime: the least time between two batched re-reads
SWEEP_BATCH = 500  # key ids per query


def _private_copy(key: APIKey) -> APIKey:
    """A shallow copy with its own attribute dict and model state, so a caller's changes stay its own.

    `copy.copy` goes through `Model.__reduce__` (the pickling path) and costs about 100 µs; this, a
    few µs. The organization instance is shared (callers only read it).
    """
    clone = object.__new__(key.__class__)
    attributes = key.__dict__.copy()
    state = object.__new__(ModelState)
    state.__dict__ = {"db": key._state.db, "adding": False, "fields_cache": key._state.fields_cache.copy()}
    attributes["_state"] = state
    clone.__dict__ = attributes
    return clone


class _Entry:
    """One cached key: the instance, when its row was read, that row's values, and whether it was used since."""

    __slots__ = ("fingerprint", "key", "loaded_at", "used")

    def __init__(self, key: APIKey, loaded_at: float, fingerprint: tuple[Any, ...]) -> None:
        self.key, self.loaded_at, self.fingerprint, self.used = key, loaded_at, fingerprint, False


class KeyCache:
    """Thread-safe, size-bounded LRU of `APIKey` instances by key id.

    An entry lives `_ttl()` seconds from the moment its row was read. A key in use does not drop out
    when that runs out: once an entry used since its last read is half that old, the next request
    that sees it re-reads every such entry in one query (`_revalidate`, at most every quarter of the
    lifetime). Unchanged rows start a new lifetime from the re-read and changed or deleted ones are
    dropped, so the database still confirms every entry within its lifetime, but a busy process
    pays one batched query per sweep instead of a query per key whenever the entries loaded together
    expire together.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0  # bumped by every invalidation: a load that overlapped one is not stored
        self._hits = self._misses = self._invalidations = self._strict_fallbacks = self._revalidations = 0
        self._next_sweep = 0.0
        self._listener: CacheListener | None = None
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        # A forked worker inherits the parent's entries and listener object, but not its thread.
        self._lock = threading.Lock()
        self._entries.clear()
        self._listener = None

    # --- the hot path --------------------------------------------------------------------------

    def get(self, key_id: str) -> APIKey | None:
        """A private copy of the cached key, or None (not cached, cache off, or strict fallback)."""
        if _conf.KEYS_CACHE != ON:
            return None
        now = clock()
        ttl = self._ttl(now)
        if ttl is None:
            self._strict_fallbacks += 1
            return None
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is None or now - entry.loaded_at >= ttl:
                self._misses += 1
                return None
            self._entries.move_to_end(key_id)
            self._hits += 1
            entry.used = True
            key = _private_copy(entry.key)
            sweep = now - entry.loaded_at >= ttl * REVALIDATE_AT and now >= self._next_sweep
            if sweep:
                self._next_sweep = now + ttl * SWEEP_EVERY
        if sweep:
            self._revalidate(ttl)
            if self._entries.get(key_id) is not entry:
                return None  # its row changed: the caller reads it again
        return key

    def token(self) -> int:
        """Taken before a database read; `put` stores the row only if no invalidation came in between."""
        return self._generation

    def put(self, key: APIKey, token: int, *, loaded_at: float | None = None) -> None:
        """Store `key`, read after `token()` was taken and (if given) at `loaded_at` on `clock()` or later."""
        if _conf.KEYS_CACHE != ON or self._ttl() is None:
            return
        stored = _private_copy(key)
        # Computed once here, so every copy handed out carries them (cached_property values live in __dict__).
        stored.effective_scopes  # noqa: B018
        stored.networks  # noqa: B018
        entry = _Entry(stored, clock() if loaded_at is None else loaded_at, lookup.fingerprint(stored))
        with self._lock:
            if token != self._generation:
                return
            self._entries[key.pk] = entry
            self._entries.move_to_end(key.pk)
            while len(self._entries) > settings.KEYS_CACHE_SIZE:
                self._entries.popitem(last=False)

    def _revalidate(self, ttl: float) -> None:
        """Re-read the entries in use that are past half their lifetime, in batched queries."""
        started = clock()
        with self._lock:
            token = self._generation
            due = [
                (key_id, e)
                for key_id, e in self._entries.items()
                if e.used and started - e.loaded_at >= ttl * REVALIDATE_AT
            ]
        ids = [key_id for key_id, _ in due]
        try:
            current: dict[str, tuple[Any, ...]] = {}
            for first in range(0, len(ids), SWEEP_BATCH):
                current.update(lookup.rows(ids[first : first + SWEEP_BATCH]))
        except DatabaseError as exc:
            # Nothing renewed: the entries run out as they would have, and requests read the database.
            logger.warning("key cache could not revalidate %d entries: %s", len(ids), exc)
            return
        with self._lock:
            if token != self._generation:
                return  # an invalidation came in meanwhile; the next sweep tries again
            for key_id, entry in due:
                if self._entries.get(key_id) is not entry:
                    continue  # replaced or dropped since
                if current.get(key_id) == entry.fingerprint:
                    entry.loaded_at, entry.used = started, False
                    self._revalidations += 1
                else:
                    del self._entries[key_id]

    def _ttl(self, now: float | None = None) -> float | None:
        """How long an entry may be used right now; None while this process cannot hear invalidations."""
        if not _conf.REDIS_URL:
            return _conf.KEYS_CACHE_MAX_STALENESS
        listener = self._listener or self._start_listener()
        if (clock() if now is None else now) >= listener.live_until:
            return None
        return _conf.KEYS_CACHE_TTL

    def _start_listener(self) -> CacheListener:
        with self._lock:
            if self._listener is None:
                self._entries.clear()
                self._listener = CacheListener(self)
                self._listener.start()
            return self._listener

    # --- invalidation --------------------------------------------------------------------------

    def apply(self, message: str) -> None:
        """Drop what `message` names: `k:<key id>`, `o:<organization id>` or `*`."""
        with self._lock:
            self._generation += 1
            self._invalidations += 1
            if message == ALL:
                self._entries.clear()
            elif message.startswith("k:"):
                self._entries.pop(message[2:], None)
            elif message.startswith("o:"):
                org_id = int(message[2:])
                for key_id in [k for k, e in self._entries.items() if e.key.organization_id == org_id]:
                    del self._entries[key_id]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._next_sweep = 0.0

    def caught_up(self, timeout: float = 5.0) -> bool:
        """Whether this process hears invalidations and has applied every one published before the call.

        True at once without Redis (nothing to hear). Tests and the two-node bench wait on it.
        """
        if get_redis() is None:
            return True
        return (self._listener or self._start_listener()).caught_up(timeout)

    def stats(self) -> dict[str, Any]:
        configured = settings.KEYS_CACHE
        if configured != ON:
            mode = STRICT
        elif get_redis() is None:
            mode = "local"
        else:
            listener = self._listener
            mode = ON if listener is not None and clock() < listener.live_until else "strict-fallback"
        return {
            "configured": configured,
            "mode": mode,
            "entries": len(self._entries),
            "hits": self._hits,
            "misses": self._misses,
            "strict_fallbacks": self._strict_fallbacks,
            "invalidations": self._invalidations,
            "revalidations": self._revalidations,
            "resubscriptions": self._listener.subscriptions if self._listener is not None else 0,
            "heartbeats": self._listener.pings_answered if self._listener is not None else 0,
        }


key_cache = KeyCache()


def stats() -> dict[str, Any]:
    """Counters and mode of this process's key cache (for metrics)."""
    return key_cache.stats()


COUNTERS = ("hits", "misses", "invalidations", "revalidations", "strict_fallbacks", "resubscriptions")


def event_counts() -> dict[str, int]:
    """The cumulative counters alone (lib.metrics exports them as keyhouse_cache_events_total{cache="keys"})."""
    current = key_cache.stats()
    return {name: current[name] for name in COUNTERS}


# --- publishing ------------------------------------------------------------------------------------


def invalidate(*messages: str) -> None:
    """Drop entries in this process now and, once the transaction commits, in every process.

    Dropped here again on commit: a request of this process may have read the old row meanwhile.
    """
    for message in messages:
        key_cache.apply(message)
    transaction.on_commit(lambda: _publish(messages), robust=True)


def _publish(messages: tuple[str, ...]) -> None:
    for message in messages:
        key_cache.apply(message)
    client = get_redis()
    if client is None:
        return
    for attempt in (1, 2):
        try:
            pipe = client.pipeline(transaction=False)
            for message in messages:
                pipe.publish(channel(), message)
            pipe.execute()
            return
        except redis.RedisError as exc:
            if attempt == 2:
                # Other processes keep their entry until it ages out (KEYS_CACHE_TTL); say so loudly.
                logger.error("key cache invalidation %s not published: %s", ",".join(messages), exc)


def invalidate_key(key_id: str) -> None:
    invalidate(f"k:{key_id}")


def invalidate_organization(organization_id: int) -> None:
    invalidate(f"o:{organization_id}")
