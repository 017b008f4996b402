"""Crafted usage series for monitoring's tests: hourly buckets and source networks of a key."""

from __future__ import annotations

from datetime import datetime, timedelta

from keys.models import APIKey
from keys.tests.jobs_helpers import hour
from monitoring.models import UsageBucket, UsageNetwork


def buckets(key: APIKey, series: list[int], *, end: datetime, failures: list[int] | None = None) -> None:
    """Hourly buckets for `key`: series[-1] is the hour of `end`, the values before it the hours before."""
    last = hour(end)
    rows = []
    for i, requests in enumerate(series):
        fails = failures[i] if failures else 0
        rows.append(
            UsageBucket(key=key, hour=last - timedelta(hours=len(series) - 1 - i), requests=requests, failures=fails)
        )
    UsageBucket.objects.bulk_create(rows)


def networks(key: APIKey, network: str, *, hours: list[datetime], requests: int = 10, blocked: int = 0) -> None:
    UsageNetwork.objects.bulk_create(
        [UsageNetwork(key=key, hour=hour(h), network=network, requests=requests, blocked=blocked) for h in hours]
    )
