"""Re-encrypt every webhook signing secret under the newest WEBHOOK_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from webhooks import crypto
from webhooks.models import EndpointSecret
from webhooks.services.endpoints import secret_context

BATCH = 200


class Command(BaseCommand):
    help = (
        "Re-encrypt webhook signing secrets sealed by an older WEBHOOK_ENCRYPTION_KEYS key under the newest one. "
        "Idempotent and safe while the site runs; afterwards the old key can be removed from the list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count the secrets that need it.")

    def handle(self, *args: Any, **options: Any) -> None:
        newest = crypto.keyring().newest_id
        stale = EndpointSecret.objects.exclude(ciphertext__startswith=f"{newest}$")
        if options["dry_run"]:
            self.stdout.write(f"{stale.count()} secret(s) would be re-encrypted under key {newest!r}.")
            return
        done = 0
        while True:
            with transaction.atomic():
                # skip_locked: two runs at once share the work instead of waiting on each other.
                batch = list(stale.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
                for row in batch:
                    context = secret_context(row.endpoint_id)
                    try:
                        plaintext = crypto.decrypt(row.ciphertext, context=context)
                    except crypto.DecryptionError as exc:
                        raise CommandError(f"Secret {row.pk} of endpoint {row.endpoint_id}: {exc}") from exc
                    row.ciphertext = crypto.encrypt(plaintext, context=context)
                    row.save(update_fields=["ciphertext"])
            done += len(batch)
            if len(batch) < BATCH:
                break
        self.stdout.write(f"Re-encrypted {done} secret(s) under key {newest!r}.")
