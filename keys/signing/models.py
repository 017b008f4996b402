"""HMAC request-signing secrets (RFC 9421 `hmac-sha256`)."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from keys.apikeys.models import APIKey
from keys.core.models import Credential, team_list_index

KEY_ID_PREFIX = "hs"


class SigningSecret(Credential):
    """A shared secret that signs requests, named by a public key id (`hs_live_<id>`).

    The server must recompute signatures, so the secret cannot be hashed: it is stored encrypted
    (`lib.crypto`, AES-256-GCM under the rotatable keyring, bound to this row's id) and shown once.
    After a rotation the previous secret keeps verifying until `previous_valid_until`.
    """

    kind = "signing_secret"
    # Both secrets are sealed for this purpose and the row's id (lib.crypto).
    ENCRYPTION_PURPOSE = "signing_secret"

    id = models.CharField(primary_key=True, max_length=16, editable=False)
    secret_encrypted = models.TextField(editable=False)
    secret_version = models.PositiveIntegerField(default=1, editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    api_key = models.ForeignKey(
        APIKey,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signing_secrets",
        help_text="When set, the secret only signs requests that carry this API key (API key + HMAC).",
    )

    class Meta(Credential.Meta):
        verbose_name = "signing secret"
        indexes = [team_list_index("keys_signin_org_idx")]

    @property
    def key_id(self) -> str:
        """The `keyid` clients put in `Signature-Input`; public, like an API key's prefix."""
        return f"{KEY_ID_PREFIX}_{self.environment}_{self.id}"

    @property
    def display_id(self) -> str:
        return self.key_id

    def previous_is_valid(self, now: datetime | None = None) -> bool:
        """Whether the secret replaced by the last rotation still verifies (its grace period)."""
        return bool(
            self.previous_secret_encrypted
            and self.previous_valid_until is not None
            and self.previous_valid_until > (now or timezone.now())
        )


def parse_key_id(key_id: str) -> tuple[str, str] | None:
    """(environment, id) from `hs_<env>_<id>`, or None when it is not one of ours (no query needed)."""
    prefix, sep, rest = key_id.partition("_")
    environment, sep2, ident = rest.partition("_")
    if prefix != KEY_ID_PREFIX or not sep or not sep2 or environment not in ("live", "test"):
        return None
    if not 1 <= len(ident) <= 16 or not ident.isascii() or not ident.isalnum():
        return None
    return environment, ident
