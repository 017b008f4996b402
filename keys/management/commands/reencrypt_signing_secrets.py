"""Move every stored signing secret under the newest KEYS_ENCRYPTION_KEYS key, so an older key can be retired."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_record
from keys import encryption
from keys.models import SigningSecret
from keys.services import signing_secret_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt signing secrets under the newest key of KEYS_ENCRYPTION_KEYS. Safe to rerun and to run while "
        "serving: each row is locked and rewritten on its own. Afterwards the older keys can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count the rows under an older key.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, dry_run: bool = False, batch_size: int = 500, **options: Any) -> None:
        try:
            newest = encryption.current_version()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        stale_prefix = f"{encryption.SCHEME}${newest}$"
        # Rows already under the newest key are skipped without decrypting anything.
        stale = SigningSecret.objects.exclude(secret_encrypted__startswith=stale_prefix) | SigningSecret.objects.filter(
            previous_secret_encrypted__gt=""
        ).exclude(previous_secret_encrypted__startswith=stale_prefix)
        ids = list(stale.order_by("pk").values_list("pk", flat=True).distinct())
        if dry_run:
            self.stdout.write(f"{len(ids)} signing secret(s) would be re-encrypted under key version {newest}.")
            return
        moved = 0
        failed: list[str] = []
        for start in range(0, len(ids), max(1, batch_size)):
            for secret in SigningSecret.objects.filter(pk__in=ids[start : start + batch_size]):
                try:
                    moved += signing_secret_reencrypt(secret=secret)
                except encryption.DecryptionError as exc:
                    failed.append(secret.key_id)
                    self.stderr.write(f"{secret.key_id}: {exc}")
        audit_record(
            action="signing_secrets.reencrypted",
            actor_label="manage.py reencrypt_signing_secrets",
            target_type="signing_secret",
            metadata={"key_version": newest, "reencrypted": moved, "failed": failed},
        )
        self.stdout.write(f"Re-encrypted {moved} signing secret(s) under key version {newest}.")
        if failed:
            raise CommandError(f"{len(failed)} secret(s) could not be decrypted with any configured key.")
