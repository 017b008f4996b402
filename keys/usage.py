"""Usage counting off the request path.

Each process accumulates counts in memory and a daemon thread pushes them out about once a second
(and at exit): to Redis when REDIS_URL is set, where the `usage_rollup` beat job moves them into
hourly buckets, or straight into the database otherwise (the embedded `make run` set-up). A request
therefore pays no database write and no network round trip for being counted.

Besides counts, each process notes the source networks (/24 for IPv4, /48 for IPv6) every API key
was used from in each hour, and attempts refused because they came from outside the key's allowed
networks; the anomaly scan (monitoring.services.anomalies) reads them from `UsageNetwork`.

The recorder stays in keys/ because every authentication class calls it on the hot path, and keys
must not import the monitoring app above it. The Redis side needs nothing from monitoring (the
roll-up there reads the hashes named here); the direct-to-database flush goes through a sink that
monitoring installs in its `ready()` (`set_direct_sink`).
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings

from lib.redis import get_redis, namespaced

logger = logging.getLogger(__name__)

PENDING_REQUESTS = "usage:pending"
PENDING_LAST_USED = "usage:last"
# Hash of `a|<key id>|<hour>|<network>` (requests) and `b|…` (refused: outside the allowed networks).
PENDING_NETWORKS = "usage:nets"
# The failure reason that counts as a blocked-network attempt (keys.services.verification.Code).
BLOCKED_REASON = "FORBIDDEN_IP"

NetworkCounts = dict[tuple[str, int, str], tuple[int, int]]

# Called as sink(requests=…, failures=…, last_used=…, networks=…) when there is no Redis.
DirectSink = Callable[..., Any]
_direct_sink: DirectSink | None = None


def set_direct_sink(sink: DirectSink | None) -> None:
    """Where counts go when REDIS_URL is unset (monitoring's `usage_apply`). Without one they are dropped."""
    global _direct_sink
    _direct_sink = sink


def hour_bucket(ts: float) -> int:
    return int(ts // 3600) * 3600


@lru_cache(maxsize=8192)
def source_network(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to, or "" for something that is not an address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class UsageRecorder:
    """Thread-safe in-process counters with a background flusher."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._failures: Counter[tuple[str, int]] = Counter()
        self._last: dict[str, tuple[float, str]] = {}
        self._net_requests: Counter[tuple[str, int, str]] = Counter()
        self._net_blocked: Counter[tuple[str, int, str]] = Counter()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(self, key_id: str, ip: str | None, *, ok: bool, reason: str | None = None) -> None:
        now = time.time()
        bucket = (key_id, int(now // 3600) * 3600)  # hour_bucket, inline: this runs on every request
        # Networks only for API keys (other kinds count as `hs:<id>`, `cc:<id>`); cached, so this costs a dict hit.
        network = source_network(ip) if ip and ":" not in key_id else ""
        with self._lock:
            if ok:
                self._requests[bucket] += 1
                self._last[key_id] = (now, ip or "")
                if network:
                    self._net_requests[(key_id, bucket[1], network)] += 1
            else:
                self._failures[bucket] += 1
                if network and reason == BLOCKED_REASON:
                    self._net_blocked[(key_id, bucket[1], network)] += 1
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="usage-flusher", daemon=True)
            self._thread.start()
            atexit.register(self._flush_at_exit)

    def _run(self) -> None:
        while not self._stop.wait(settings.KEYS_USAGE_FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:
                logger.exception("usage flush failed; counts kept for the next try")

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("usage counts could not be flushed at exit", exc_info=True)

    def drain(self) -> tuple[Counter[tuple[str, int]], Counter[tuple[str, int]], dict[str, tuple[float, str]]]:
        """Take the counts (and drop the network notes; `flush` takes both together)."""
        return self._drain_all()[:3]  # type: ignore[return-value]

    def _drain_all(
        self,
    ) -> tuple[Counter[tuple[str, int]], Counter[tuple[str, int]], dict[str, tuple[float, str]], NetworkCounts]:
        with self._lock:
            out = (self._requests, self._failures, self._last)
            taken = (self._net_requests, self._net_blocked)
            self._requests, self._failures, self._last = Counter(), Counter(), {}
            self._net_requests, self._net_blocked = Counter(), Counter()
        return (*out, _merge_networks(*taken))

    def _restore_networks(self, networks: NetworkCounts) -> None:
        with self._lock:
            for slot, (requests, blocked) in networks.items():
                if requests:
                    self._net_requests[slot] += requests
                if blocked:
                    self._net_blocked[slot] += blocked

    def _restore(
        self, requests: Counter[tuple[str, int]], failures: Counter[tuple[str, int]], last: dict[str, tuple[float, str]]
    ) -> None:
        with self._lock:
            self._requests.update(requests)
            self._failures.update(failures)
            for key_id, seen in last.items():
                if key_id not in self._last or self._last[key_id][0] < seen[0]:
                    self._last[key_id] = seen

    def flush(self) -> None:
        """Push the counts out. On failure they are put back, so nothing is lost."""
        requests, failures, last, networks = self._drain_all()
        if not requests and not failures and not last and not networks:
            return
        try:
            client = get_redis()
            if client is not None:
                _flush_to_redis(client, requests, failures, last, networks)
            elif _direct_sink is not None:
                _direct_sink(
                    requests=_as_rows(requests), failures=_as_rows(failures), last_used=last, networks=networks
                )
            else:
                logger.debug(
                    "no Redis and no usage sink installed: %d counter(s) dropped", len(requests) + len(failures)
                )
        except Exception:
            self._restore(requests, failures, last)
            self._restore_networks(networks)
            raise


def _as_rows(counter: Counter[tuple[str, int]]) -> dict[tuple[str, int], int]:
    return dict(counter)


# One command per flush instead of one per counter: a busy process with 1,000 keys in use packs
# about 3,000 pipelined commands a second, which cost ~30 ms of its CPU; this costs ~3 ms.
_FLUSH_SCRIPT = """
local i = 1
local function section(key, command)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    redis.call(command, key, ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
section(KEYS[1], 'HINCRBY')
section(KEYS[2], 'HSET')
section(KEYS[3], 'HINCRBY')
return 1
"""


@lru_cache(maxsize=4)
def _flush_script(client):  # type: ignore[no-untyped-def]
    return client.register_script(_FLUSH_SCRIPT)


def _flush_to_redis(client, requests, failures, last, networks=None) -> None:  # type: ignore[no-untyped-def]
    counts: list[Any] = []
    for (key_id, hour), count in requests.items():
        counts += (f"r|{key_id}|{hour}", count)
    for (key_id, hour), count in failures.items():
        counts += (f"f|{key_id}|{hour}", count)
    seen: list[Any] = []
    for key_id, (ts, ip) in last.items():
        seen += (key_id, f"{ts}|{ip}")
    nets: list[Any] = []
    for (key_id, hour, network), (requested, blocked) in (networks or {}).items():
        if requested:
            nets += (f"a|{key_id}|{hour}|{network}", requested)
        if blocked:
            nets += (f"b|{key_id}|{hour}|{network}", blocked)
    keys = [namespaced(PENDING_REQUESTS), namespaced(PENDING_LAST_USED), namespaced(PENDING_NETWORKS)]
    _flush_script(client)(keys=keys, args=[len(counts) // 2, *counts, len(seen) // 2, *seen, len(nets) // 2, *nets])


def _merge_networks(requests: Counter[tuple[str, int, str]], blocked: Counter[tuple[str, int, str]]) -> NetworkCounts:
    merged: NetworkCounts = {}
    for slot in requests.keys() | blocked.keys():
        merged[slot] = (requests.get(slot, 0), blocked.get(slot, 0))
    return merged


recorder = UsageRecorder()


def utc_hour(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
