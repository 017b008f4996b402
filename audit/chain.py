"""The audit log's hash chains: how a row is hashed, how appends are serialized, and how the chains are checked.

Every organization has a chain of its own, and events with no organization (sign-ups, logins,
system jobs) share one more. `hash = SHA-256(prev_hash || "\\n" || canonical JSON of the row)`,
where `prev_hash` is the hash of the chain's row before it (by id), and a chain's first row links
to 64 zeros. The organization is part of what is hashed, so moving a row to another chain breaks it.

Appending locks only the event's own chain (a PostgreSQL transaction-level advisory lock keyed by
the organization, held until the inserting transaction commits; SQLite serializes writers on its
own), so within a chain ids, commits and links come in the same order, while requests of different
organizations never wait on each other. The trade-off: an attacker who deletes an organization's
newest events leaves the other chains intact, so cut tails are found per chain, through the heads
the daily check records (`AuditChainCheck.heads`), not through one global head.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

GENESIS = "0" * 64
# pg_advisory_xact_lock(classid, objid): classid "audt" in ASCII, so the locks are recognisable in
# pg_locks; objid is the organization (0 for the chain of events without one).
_LOCK_CLASS = int.from_bytes(b"audt", "big")
_INT4 = 2**31
SYSTEM_CHAIN = "-"


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


def chain_of(organization_id: int | None) -> str:
    """The name of the chain an event belongs to: its organization's id, or "-" for events without one."""
    return SYSTEM_CHAIN if organization_id is None else str(organization_id)


def lock(organization_id: int | None) -> None:
    """Serialize appends to one chain until the current transaction ends. Call inside transaction.atomic().

    Two organizations whose ids are equal modulo 2**31 share a lock: they wait on each other, which is
    harmless; the chains themselves stay apart.
    """
    if connection.vendor == "postgresql":
        objid = 0 if organization_id is None else organization_id % _INT4
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, objid])
    # SQLite: our connections begin IMMEDIATE transactions (settings), which already take the write lock.


def head(organization_id: int | None) -> str:
    """The hash of the newest event in the chain (GENESIS for an empty chain). Call under `lock()`."""
    from audit.models import AuditEvent

    if organization_id is None:
        rows = AuditEvent.objects.filter(organization__isnull=True)
    else:
        rows = AuditEvent.objects.filter(organization_id=organization_id)
    return rows.order_by("-id").values_list("hash", flat=True).first() or GENESIS


@dataclass
class Report:
    """The outcome of a verification. `heads` maps each chain to its newest event: [id, hash]."""

    ok: bool
    checked: int
    last_id: int | None
    last_hash: str
    first_bad_id: int | None = None
    message: str = ""
    heads: dict[str, list[Any]] = field(default_factory=dict)


def verify(*, chunk: int = 2000) -> Report:
    """Recompute every chain from its first row to its newest, reading the log once in id order."""
    from audit.models import AuditEvent

    heads: dict[str, list[Any]] = {}
    checked, last_id, last_hash = 0, None, GENESIS
    for row in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk):
        name = chain_of(row.organization_id)
        prev = heads[name][1] if name in heads else GENESIS
        bad = ""
        if row.prev_hash != prev:
            bad = f"Event {row.pk} does not link to the event before it in its chain."
        elif row.hash != link(prev, row):
            bad = f"Event {row.pk} was changed after it was written."
        if bad:
            return Report(False, checked, last_id, last_hash, row.pk, bad, heads)
        heads[name] = [row.pk, row.hash]
        checked, last_id, last_hash = checked + 1, row.pk, row.hash
    return Report(True, checked, last_id, last_hash, heads=heads)
