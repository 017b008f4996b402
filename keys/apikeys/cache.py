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
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.db import transaction
from django.db.models.base import ModelState

from lib.redis import get_redis, namespaced

if TYPE_CHECKING:
    from keys.models import APIKey

logger = logging.getLogger("keys.cache")

STRICT = "strict"
ON = "on"
ALL = "*"  # the message that drops every entry


def _clock() -> float:
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


def _private_copy(key: APIKey) -> APIKey:
    """A shallow copy with its own attribute dict and model state, so a caller's changes stay its own.

    `copy.copy` goes through `Model.__reduce__` (the pickling path) and costs about 100 µs; this, a
    few µs. The organization instance is shared (callers only read it).
    """
    clone = key.__class__.__new__(key.__class__)
    clone.__dict__.update(key.__dict__)
    state = ModelState()
    state.db, state.adding = key._state.db, False
    state.fields_cache = dict(key._state.fields_cache)
    clone._state = state
    return clone


class KeyCache:
    """Thread-safe, size-bounded LRU of `APIKey` instances by key id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[APIKey, float]] = OrderedDict()
        self._generation = 0  # bumped by every invalidation: a load that overlapped one is not stored
        self._hits = self._misses = self._invalidations = self._strict_fallbacks = 0
        self._listener: _Listener | None = None
        self._pid = 0

    # --- the hot path --------------------------------------------------------------------------

    def get(self, key_id: str) -> APIKey | None:
        """A private copy of the cached key, or None (not cached, cache off, or strict fallback)."""
        if settings.KEYS_CACHE != ON:
            return None
        ttl = self._ttl()
        if ttl is None:
            self._strict_fallbacks += 1
            return None
        now = _clock()
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is not None and now - entry[1] < ttl:
                self._entries.move_to_end(key_id)
                self._hits += 1
                return _private_copy(entry[0])
            self._misses += 1
        return None

    def token(self) -> int:
        """Taken before a database read; `put` stores the row only if no invalidation came in between."""
        return self._generation

    def put(self, key: APIKey, token: int) -> None:
        if settings.KEYS_CACHE != ON or self._ttl() is None:
            return
        stored = _private_copy(key)
        # Computed once here, so every copy handed out carries them (cached_property values live in __dict__).
        stored.effective_scopes  # noqa: B018
        stored.networks  # noqa: B018
        with self._lock:
            if token != self._generation:
                return
            self._entries[key.pk] = (stored, _clock())
            self._entries.move_to_end(key.pk)
            while len(self._entries) > settings.KEYS_CACHE_SIZE:
                self._entries.popitem(last=False)

    def _ttl(self) -> float | None:
        """How long an entry may be used right now; None while this process cannot hear invalidations."""
        if get_redis() is None:
            return settings.KEYS_CACHE_MAX_STALENESS
        listener = self._ensure_listener()
        if _clock() >= listener.live_until:
            return None
        return settings.KEYS_CACHE_TTL

    def _ensure_listener(self) -> _Listener:
        pid = os.getpid()
        listener = self._listener
        if listener is None or self._pid != pid:
            # A forked worker inherits the parent's object but not its thread: start its own.
            with self._lock:
                if self._listener is None or self._pid != pid:
                    self._entries.clear()
                    self._pid = pid
                    self._listener = _Listener(self)
                    self._listener.start()
                listener = self._listener
        return listener

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
                for key_id in [k for k, (key, _) in self._entries.items() if key.organization_id == org_id]:
                    del self._entries[key_id]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def caught_up(self, timeout: float = 5.0) -> bool:
        """Whether this process hears invalidations and has applied every one published before the call.

        True at once without Redis (nothing to hear). Tests and the two-node bench wait on it.
        """
        if get_redis() is None:
            return True
        return self._ensure_listener().caught_up(timeout)

    def stats(self) -> dict[str, Any]:
        configured = settings.KEYS_CACHE
        if configured != ON:
            mode = STRICT
        elif get_redis() is None:
            mode = "local"
        else:
            listener = self._listener
            mode = ON if listener is not None and _clock() < listener.live_until else "strict-fallback"
        return {
            "configured": configured,
            "mode": mode,
            "entries": len(self._entries),
            "hits": self._hits,
            "misses": self._misses,
            "strict_fallbacks": self._strict_fallbacks,
            "invalidations": self._invalidations,
            "resubscriptions": self._listener.subscriptions if self._listener is not None else 0,
            "heartbeats": self._listener.pings_answered if self._listener is not None else 0,
        }


class _Listener(threading.Thread):
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
                now = _clock()
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


key_cache = KeyCache()


def stats() -> dict[str, Any]:
    """Counters and mode of this process's key cache (for metrics)."""
    return key_cache.stats()


COUNTERS = ("hits", "misses", "invalidations", "strict_fallbacks", "resubscriptions")


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
