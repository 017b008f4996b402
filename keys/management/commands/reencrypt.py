"""`manage.py reencrypt`: move every encrypted field onto the newest ENCRYPTION_KEYS key (see lib/reencrypt.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_record
from lib import crypto
from lib.reencrypt import BATCH, reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (signing secrets, webhook secrets, sealed successors) under the newest "
        "ENCRYPTION_KEYS key. Safe to rerun and to run while serving. When it reports nothing remaining, the "
        "older keys (and KEYS_ENCRYPTION_KEYS / WEBHOOK_ENCRYPTION_KEYS) can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count the values under an older key.")
        parser.add_argument("--batch-size", type=int, default=BATCH, help="Rows per transaction.")

    def handle(self, *args: Any, dry_run: bool = False, batch_size: int = BATCH, **options: Any) -> None:
        try:
            newest = crypto.keyring().newest_id
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        runs = reencrypt_all(dry_run=dry_run, batch_size=batch_size)
        for run in runs:
            if dry_run:
                self.stdout.write(f"{run.label}: {run.stale} value(s) would be re-encrypted")
            else:
                self.stdout.write(
                    f"{run.label}: {run.moved} re-encrypted, {len(run.failed)} failed, {run.remaining} remaining"
                )
        if dry_run:
            self.stdout.write(f"{sum(r.stale for r in runs)} value(s) would be re-encrypted under key {newest!r}.")
            return
        moved, remaining = sum(r.moved for r in runs), sum(r.remaining for r in runs)
        failed = {r.label: r.failed for r in runs if r.failed}
        audit_record(
            action="encryption.reencrypted",
            actor_label="manage.py reencrypt",
            target_type="encryption_key",
            target_id=newest,
            metadata={"key_id": newest, "reencrypted": {r.label: r.moved for r in runs}, "failed": failed},
        )
        self.stdout.write(f"Re-encrypted {moved} value(s) under key {newest!r}; {remaining} remaining.")
        for label, pks in failed.items():
            self.stderr.write(f"{label}: rows {', '.join(pks[:20])} open under no configured key")
        if failed:
            raise CommandError("Some values open under no configured key; keep the older keys until they are fixed.")
        if remaining > sum(len(pks) for pks in failed.values()):
            raise CommandError("Some values were locked by other work meanwhile; run the command again.")
