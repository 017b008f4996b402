"""The audit log's hash chain: how a row is hashed, how inserts are serialized, and how the chain is checked.

`hash = SHA-256(prev_hash || "\\n" || canonical JSON of the row)`, where `prev_hash` is the hash of
the row before it (by id), and the first row links to 64 zeros. Rows are appended under one lock
(a PostgreSQL transaction-level advisory lock; SQLite serializes writers on its own), held until
the inserting transaction commits, so ids, commits and links come in the same order.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "audit" in ASCII, so it is recognisable in pg_locks.
_LOCK_KEY = int.from_bytes(b"audit", "big")


def normalize_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Metadata as it reads back from the database (JSON types only), so the hash made at insert matches later."""
    return json.loads(json.dumps(metadata or {}, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _ip(value: str | None) -> str | None:
    # PostgreSQL's inet and Python may spell one address differently; hash one canonical spelling.
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).exploded
    except ValueError:
        return value


def canonical(row: Any) -> bytes:
    """The bytes a row's hash covers: every column but the id and the hashes."""
    payload = {
        "created_at": row.created_at.astimezone(UTC).isoformat(),
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "organization": row.organization_id,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "ip": _ip(row.ip),
        "user_agent": row.user_agent,
        "metadata": row.metadata,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def link(prev_hash: str, row: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(row)).hexdigest()


def lock() -> None:
    """Serialize appends until the current transaction ends. Call inside transaction.atomic()."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: our connections begin IMMEDIATE transactions (settings), which already take the write lock.


@dataclass
class Report:
    """The outcome of a verification."""

    ok: bool
    checked: int
    last_id: int | None
    last_hash: str
    first_bad_id: int | None = None
    message: str = ""


def verify(*, after_id: int | None = None, after_hash: str = GENESIS, chunk: int = 2000) -> Report:
    """Recompute the chain from the row after `after_id` (whose hash must be `after_hash`) to the newest row."""
    from audit.models import AuditEvent

    rows = AuditEvent.objects.order_by("id")
    if after_id is not None:
        rows = rows.filter(id__gt=after_id)
    prev, checked, last_id = after_hash, 0, after_id
    for row in rows.iterator(chunk_size=chunk):
        if row.prev_hash != prev:
            return Report(
                False, checked, last_id, prev, row.pk, f"Event {row.pk} does not link to the event before it."
            )
        if row.hash != link(prev, row):
            return Report(False, checked, last_id, prev, row.pk, f"Event {row.pk} was changed after it was written.")
        prev, checked, last_id = row.hash, checked + 1, row.pk
    return Report(True, checked, last_id, prev)
