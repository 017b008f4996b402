"""Usage counting off the request path.

Each process accumulates counts in memory and a daemon thread pushes them out about once a second
(and at exit): to Redis when REDIS_URL is set, where the `usage_rollup` beat job moves them into
hourly buckets, or straight into the database otherwise (the embedded `make run` set-up). A request
therefore pays no database write and no network round trip for being counted.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from django.conf import settings

from keys.redis_client import get_redis, namespaced

logger = logging.getLogger(__name__)

PENDING_REQUESTS = "usage:pending"
PENDING_LAST_USED = "usage:last"


def hour_bucket(ts: float) -> int:
    return int(ts // 3600) * 3600


class UsageRecorder:
    """Thread-safe in-process counters with a background flusher."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._failures: Counter[tuple[str, int]] = Counter()
        self._last: dict[str, tuple[float, str]] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(self, key_id: str, ip: str | None, *, ok: bool) -> None:
        now = time.time()
        bucket = (key_id, hour_bucket(now))
        with self._lock:
            if ok:
                self._requests[bucket] += 1
                self._last[key_id] = (now, ip or "")
            else:
                self._failures[bucket] += 1
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
        with self._lock:
            out = (self._requests, self._failures, self._last)
            self._requests, self._failures, self._last = Counter(), Counter(), {}
        return out

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
        requests, failures, last = self.drain()
        if not requests and not failures and not last:
            return
        try:
            client = get_redis()
            if client is not None:
                _flush_to_redis(client, requests, failures, last)
            else:
                from keys.services.usage import usage_apply

                usage_apply(requests=_as_rows(requests), failures=_as_rows(failures), last_used=last)
        except Exception:
            self._restore(requests, failures, last)
            raise


def _as_rows(counter: Counter[tuple[str, int]]) -> dict[tuple[str, int], int]:
    return dict(counter)


def _flush_to_redis(client, requests, failures, last) -> None:  # type: ignore[no-untyped-def]
    pipe = client.pipeline(transaction=False)
    pending = namespaced(PENDING_REQUESTS)
    for (key_id, hour), count in requests.items():
        pipe.hincrby(pending, f"r|{key_id}|{hour}", count)
    for (key_id, hour), count in failures.items():
        pipe.hincrby(pending, f"f|{key_id}|{hour}", count)
    for key_id, (ts, ip) in last.items():
        pipe.hset(namespaced(PENDING_LAST_USED), key_id, f"{ts}|{ip}")
    pipe.execute()


recorder = UsageRecorder()


def utc_hour(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
