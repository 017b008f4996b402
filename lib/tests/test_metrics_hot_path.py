"""lib.metrics._fast_observe puts every value where prometheus-client's own observe puts it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from lib.metrics import _LATENCY_BUCKETS, _fast_observe

VALUES = [0.0, 0.00001, 0.00005, 0.00005001, 0.0003, 0.001, 0.0099, 0.01, 0.7, 1.0, 1.5, 30.0]


def exposition(fast: bool) -> bytes:
    registry = CollectorRegistry()
    histogram = Histogram("h", "h", ["kind"], buckets=_LATENCY_BUCKETS, registry=registry)
    child = histogram.labels("api_key")
    observe = _fast_observe(child) if fast else child.observe
    for value in VALUES:
        observe(value)
    return b"\n".join(line for line in generate_latest(registry).splitlines() if not line.startswith(b"h_created"))


def test_the_fast_observe_gives_the_same_buckets_count_and_sum() -> None:
    assert exposition(fast=True) == exposition(fast=False)
    assert b'h_bucket{kind="api_key",le="+Inf"} 12.0' in exposition(fast=True)
