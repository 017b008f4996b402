"""Move every registered encrypted field onto the keyring's newest key, so older keys can be retired.

Each field is walked in primary-key order, one batch per transaction. A batch is claimed with
`SELECT … FOR UPDATE SKIP LOCKED`: two runs at once share the work, and a row a request is rotating
right now is left to that request (it writes under the newest key anyway) and counted as remaining.
Only values not already under the newest key are read, so a rerun costs one indexed scan per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from lib import crypto

BATCH = 500


@dataclass
class FieldRun:
    """What one field's walk found: values moved, values that open under no configured key, and what is left."""

    label: str
    stale: int = 0
    moved: int = 0
    failed: list[str] = field(default_factory=list)
    remaining: int = 0


def stale_values(entry: crypto.EncryptedField) -> QuerySet:
    """Rows whose `entry` field holds a value in an older format or under an older key."""
    name = entry.field
    return (
        entry.model._default_manager.exclude(**{name: ""})
        .exclude(**{f"{name}__startswith": crypto.current_prefix()})
        .order_by("pk")
    )


def reencrypt_field(entry: crypto.EncryptedField, *, dry_run: bool = False, batch_size: int = BATCH) -> FieldRun:
    """Re-seal every stale value of one field under the newest key; with `dry_run`, only count them."""
    run = FieldRun(entry.label, stale=stale_values(entry).count())
    if dry_run:
        run.remaining = run.stale
        return run
    manager = entry.model._default_manager
    after = None
    while True:
        with transaction.atomic():
            batch = stale_values(entry).select_for_update(skip_locked=True, of=("self",))
            if after is not None:
                batch = batch.filter(pk__gt=after)
            rows = list(batch.values_list("pk", entry.field, entry.row_id)[: max(1, batch_size)])
            resealed = []
            for pk, value, row_id in rows:
                try:
                    plaintext = crypto.decrypt(value, purpose=entry.purpose, row_id=row_id)
                except crypto.DecryptionError:
                    run.failed.append(str(pk))
                    continue
                sealed = crypto.encrypt(plaintext, purpose=entry.purpose, row_id=row_id)
                resealed.append(entry.model(pk=pk, **{entry.field: sealed}))
            # One UPDATE per batch, of this field only: the rows are locked until commit, and re-encryption
            # is not a change of the credential (no updated_at, no save() signals).
            run.moved += manager.bulk_update(resealed, [entry.field]) if resealed else 0
        if len(rows) < max(1, batch_size):
            break
        after = rows[-1][0]
    run.remaining = stale_values(entry).count()
    return run


def reencrypt_all(*, dry_run: bool = False, batch_size: int = BATCH) -> list[FieldRun]:
    """Walk every field registered with `lib.crypto.register_field`."""
    return [reencrypt_field(e, dry_run=dry_run, batch_size=batch_size) for e in crypto.registered_fields()]
