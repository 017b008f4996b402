"""Moving usage counts into hourly buckets and `last_used_at`."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Q

from keys.models import APIKey, UsageBucket, UsageRollupBatch
from keys.redis_client import get_redis, namespaced
from keys.usage import PENDING_LAST_USED, PENDING_REQUESTS

logger = logging.getLogger(__name__)

_UPSERT = (
    "INSERT INTO {table} (key_id, hour, requests, failures) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (key_id, hour) DO UPDATE SET requests = {table}.requests + excluded.requests, "
    "failures = {table}.failures + excluded.failures"
)


def usage_apply(
    *,
    requests: dict[tuple[str, int], int],
    failures: dict[tuple[str, int], int],
    last_used: dict[str, tuple[float, str]],
) -> None:
    """Add counts to the hourly buckets and move `last_used_at` forward. Unknown key ids are dropped."""
    rows: dict[tuple[str, int], list[int]] = {}
    for (key_id, hour), count in requests.items():
        rows.setdefault((key_id, hour), [0, 0])[0] += count
    for (key_id, hour), count in failures.items():
        rows.setdefault((key_id, hour), [0, 0])[1] += count
    key_ids = {k for k, _ in rows} | set(last_used)
    if not key_ids:
        return
    known = set(APIKey.objects.filter(pk__in=key_ids).values_list("pk", flat=True))
    params = [
        (key_id, datetime.fromtimestamp(hour, tz=UTC), req, fail)
        for (key_id, hour), (req, fail) in sorted(rows.items())
        if key_id in known
    ]
    with transaction.atomic():
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(_UPSERT.format(table=UsageBucket._meta.db_table), params)
        for key_id, (ts, ip) in last_used.items():
            if key_id not in known:
                continue
            seen = datetime.fromtimestamp(ts, tz=UTC)
            APIKey.objects.filter(pk=key_id).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=seen)).update(
                last_used_at=seen, last_used_ip=ip or None
            )


def _parse_pending(raw: dict[bytes, bytes]) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    requests: dict[tuple[str, int], int] = {}
    failures: dict[tuple[str, int], int] = {}
    for field, value in raw.items():
        kind, key_id, hour = field.decode().split("|")
        target = requests if kind == "r" else failures
        target[(key_id, int(hour))] = target.get((key_id, int(hour)), 0) + int(value)
    return requests, failures


def _parse_last(raw: dict[bytes, bytes]) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for field, value in raw.items():
        ts, _, ip = value.decode().partition("|")
        out[field.decode()] = (float(ts), ip)
    return out


def usage_rollup() -> int:
    """Move the Redis counters into the database; returns the number of batches applied.

    Each run renames the pending hashes to a batch of its own, so counts arriving meanwhile start a
    new batch. A batch is recorded in the same transaction as its counts, so a run that dies before
    deleting its batch from Redis is finished by the next run without counting it twice.
    """
    client = get_redis()
    if client is None:
        return 0
    batch = uuid.uuid4().hex
    for name in (PENDING_REQUESTS, PENDING_LAST_USED):
        try:
            client.rename(namespaced(name), namespaced(f"{name}:batch:{batch}"))
        except Exception as exc:  # redis raises ResponseError("no such key") when nothing is pending
            if "no such key" not in str(exc).lower():
                raise
    applied = 0
    for batch_key in sorted(client.scan_iter(match=namespaced(f"{PENDING_REQUESTS}:batch:*"))):
        batch_id = batch_key.decode().rsplit(":", 1)[1]
        last_key = namespaced(f"{PENDING_LAST_USED}:batch:{batch_id}")
        applied += _apply_batch(client, batch_id, batch_key, last_key)
    # A batch may hold only last-used times (its request hash was empty).
    for last_key in client.scan_iter(match=namespaced(f"{PENDING_LAST_USED}:batch:*")):
        batch_id = last_key.decode().rsplit(":", 1)[1]
        applied += _apply_batch(client, batch_id, namespaced(f"{PENDING_REQUESTS}:batch:{batch_id}"), last_key)
    return applied


def _apply_batch(client, batch_id: str, requests_key, last_key) -> int:  # type: ignore[no-untyped-def]
    requests, failures = _parse_pending(client.hgetall(requests_key))
    last_used = _parse_last(client.hgetall(last_key))
    with transaction.atomic():
        _, created = UsageRollupBatch.objects.get_or_create(batch_id=batch_id)
        if created:
            usage_apply(requests=requests, failures=failures, last_used=last_used)
    client.delete(requests_key, last_key)
    return 1 if created else 0
