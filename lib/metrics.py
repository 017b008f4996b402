"""Every Prometheus series the platform exports, defined once (docs/operations.md#metrics).

Counters and histograms are updated where things happen: `observe_authentication` wraps the DRF
authentication classes (the one hot-path hook), config/observability.py connects the webhook, alert,
OAuth and Celery signals. Gauges that describe shared state (delivery backlog, queue depth) are read
at scrape time from `register_gauge` providers. Per-process counts that another module keeps (the key
cache's `stats()`) join through `register_stats_provider`: one line to wire.

Multi-process servers (gunicorn workers, Celery's prefork pool) use prometheus-client's multiprocess
mode when `PROMETHEUS_MULTIPROC_DIR` is set before the first import: every process writes its values
to its own file there, and `render()` sums them, so one scrape of a node covers all its processes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST"]
logger = logging.getLogger(__name__)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def clear_multiprocess_dir() -> None:
    """Start a server's metrics from zero: files left by an earlier run would be summed in again.

    Called by the parent process before it forks (gunicorn's `on_starting`, Celery's `celeryd_init`),
    never by a worker, whose siblings' files are live.
    """
    folder = multiprocess_dir()
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


if multiprocess_dir():
    # prometheus-client writes into it from the first labelled value on.
    os.makedirs(multiprocess_dir() or "", exist_ok=True)

# Verifications are one indexed query (~0.1-1 ms); buckets from 50 µs to 1 s.
_LATENCY_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

VERIFICATIONS = Counter(
    "keyhouse_verifications", "Credential verifications by credential kind and outcome.", ["kind", "outcome"]
)
VERIFICATION_SECONDS = Histogram(
    "keyhouse_verification_seconds", "Time to verify a presented credential.", ["kind"], buckets=_LATENCY_BUCKETS
)
CACHE_EVENTS = Counter(
    "keyhouse_cache_events",
    "Cache lookups and invalidations by cache and event (hit, miss, invalidation).",
    ["cache", "event"],
)
WEBHOOK_ATTEMPTS = Counter("keyhouse_webhook_attempts", "Webhook delivery attempts by outcome.", ["outcome"])
ANOMALY_ALERTS = Counter("keyhouse_anomaly_alerts", "Anomaly alerts raised, by kind.", ["kind"])
OAUTH_TOKENS = Counter("keyhouse_oauth_tokens_issued", "OAuth access tokens issued, by grant type.", ["grant"])
TASK_SECONDS = Histogram(
    "keyhouse_celery_task_seconds",
    "Celery task run time by task and final state.",
    ["task", "state"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)

# --- The authentication hook ------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _outcome(exc: BaseException) -> str:
    status = getattr(exc, "status_code", 500)
    if status == 429:
        return "throttled"
    if status in (401, 403):
        return "invalid"
    if status == 503:
        return "unavailable"
    return "error"


def _fast_observe(child: Any) -> Callable[[float], None]:
    """`child.observe` for one labelled histogram, finding the bucket by bisection.

    The same two updates as prometheus-client's `Histogram.observe` (the sum, then the first bucket
    whose bound is >= the value), without its per-call checks and linear scan over the bounds:
    about half its cost on the authentication hot path. It reads the child's `_sum`, `_buckets`
    and `_upper_bounds`, which prometheus-client does not promise; `lib/tests/test_metrics_hot_path.py`
    checks the result against `observe` itself, so an upgrade that changes them fails there.
    """
    total, buckets, bounds = child._sum, child._buckets, list(child._upper_bounds)

    def observe(seconds: float) -> None:
        total.inc(seconds)
        buckets[bisect_left(bounds, seconds)].inc(1)

    return observe


def observe_authentication(kind: str) -> Callable[[F], F]:
    """Decorate a DRF `authenticate(self, request)`: counts and times every credential it decides on.

    A `None` result (not this scheme's credential) is not counted. A success also puts the
    credential's kind and id (never the secret) into the log context of the request. The cost is two
    `perf_counter` calls, two pre-bound metric updates and a context-variable set: a few microseconds
    next to the verification's database query.
    """
    from lib.logs import bind_credential

    observe = _fast_observe(VERIFICATION_SECONDS.labels(kind))
    counters = {
        name: VERIFICATIONS.labels(kind, name) for name in ("valid", "invalid", "throttled", "unavailable", "error")
    }

    def decorate(authenticate: F) -> F:
        @wraps(authenticate)
        def wrapper(self: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                result = authenticate(self, request)
            except Exception as exc:
                observe(time.perf_counter() - started)
                counters[_outcome(exc)].inc()
                raise
            if result is not None:
                observe(time.perf_counter() - started)
                counters["valid"].inc()
                bind_credential(result[1])
            return result

        return wrapper  # type: ignore[return-value]

    return decorate


# --- Per-process stats providers (the key cache) ---------------------------------------------------

StatsProvider = Callable[[], Mapping[str, int]]
_stats_providers: dict[str, StatsProvider] = {}
_stats_seen: dict[tuple[str, str], int] = {}
_stats_lock = threading.Lock()
_stats_next = 0.0
STATS_SYNC_SECONDS = 5.0
# What a provider's keys mean; other keys are exported under their own name.
_STATS_EVENTS = {"hits": "hit", "misses": "miss", "invalidations": "invalidation", "revalidations": "revalidation"}


def register_stats_provider(name: str, provider: StatsProvider) -> None:
    """Export `provider()`'s cumulative per-process counts (`hits`, `misses`, `invalidations`) as
    `keyhouse_cache_events_total{cache=name}`. Wiring the key cache: `register_stats_provider("keys", stats)`.
    """
    _stats_providers[name] = provider


def sync_stats(*, force: bool = False) -> None:
    """Move the providers' growth since the last sync into the counters (at most every few seconds).

    Counters, not scrape-time gauges, because only the counters reach the multiprocess files: a
    scrape is answered by one worker, and the others' caches would be invisible to it.
    """
    global _stats_next
    now = time.monotonic()
    if not _stats_providers or (not force and now < _stats_next):
        return
    if not _stats_lock.acquire(blocking=False):
        return
    try:
        _stats_next = now + STATS_SYNC_SECONDS
        for cache, provider in _stats_providers.items():
            for stat, value in provider().items():
                if not isinstance(value, int | float):
                    continue  # a mode or a label, not a count
                event = _STATS_EVENTS.get(stat, stat)
                before = _stats_seen.get((cache, event), 0)
                if value > before:
                    CACHE_EVENTS.labels(cache, event).inc(value - before)
                # A provider whose counts went back (a cache reset) starts a new baseline.
                _stats_seen[(cache, event)] = value
    finally:
        _stats_lock.release()


# --- Scrape-time gauges -----------------------------------------------------------------------------

GaugeReader = Callable[[], Iterable[tuple[Mapping[str, str], float]]]
_gauges: dict[str, tuple[str, tuple[str, ...], GaugeReader]] = {}


def register_gauge(name: str, documentation: str, labels: tuple[str, ...], reader: GaugeReader) -> None:
    """A gauge computed when scraped: `reader()` yields `(labels, value)` pairs."""
    _gauges[name] = (documentation, labels, reader)


class _ScrapeGauges(Collector):
    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (documentation, labels, reader) in _gauges.items():
            family = GaugeMetricFamily(name, documentation, labels=list(labels))
            try:
                samples = list(reader())
            except Exception:
                # A database or broker that is down must not take the whole scrape with it (readyz says why).
                logger.warning("metrics: could not read %s", name, exc_info=True)
                continue
            for values, value in samples:
                family.add_metric([values[label] for label in labels], value)
            yield family


def render() -> bytes:
    """The exposition text for this node: every process's counters (multiprocess mode) plus the gauges."""
    sync_stats(force=True)
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_GAUGE_REGISTRY)


_GAUGE_REGISTRY = CollectorRegistry(auto_describe=False)
_GAUGE_REGISTRY.register(_ScrapeGauges())
