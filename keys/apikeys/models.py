"""API keys. (Their hourly usage buckets are monitoring's: monitoring/models.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from keys.core.models import Credential, team_list_index


class APIKey(Credential):
    """A scoped, prefixed API key. Only `HMAC-SHA256(pepper, key)` is stored; the plaintext is shown once.

    The primary key is the key's public 8-character id, which is also embedded in the key itself, so
    authentication is a single indexed lookup.
    """

    kind = "api_key"

    id = models.CharField(primary_key=True, max_length=8, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    secret_hash = models.CharField(max_length=128, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    predecessor = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="successor"
    )
    rolled_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True, help_text="After a roll: when this key stops working.")

    class Meta(Credential.Meta):
        verbose_name = "API key"
        indexes = [team_list_index("keys_apikey_organiz_85e319_idx")]  # the name Django gave it in 0001

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    # --- single-row truths ------------------------------------------------------------------

    @property
    def display_prefix(self) -> str:
        """The non-secret start of the key, as shown in the portal: `ak_live_3fQ9xK2m`."""
        return f"{self.prefix}_{self.environment}_{self.id}"

    @property
    def ends_at(self) -> datetime | None:
        """When the key stops working on its own: its expiry, or the end of its roll grace."""
        if self.grace_until is None:  # the common case, on every request
            return self.expires_at
        if self.expires_at is None:
            return self.grace_until
        return min(self.expires_at, self.grace_until)

    @property
    def state(self) -> str:
        """What the portal shows: active, rolling (in its grace after a roll), expired, disabled or revoked."""
        state = super().state
        return "rolling" if state == "active" and self.grace_until is not None else state


class RotationPolicy(models.Model):
    """Roll a key every `interval`; the old key keeps working for `grace` after each roll.

    The policy follows the key through its rolls: after a roll it moves to the successor, and the
    next due time starts again from that roll.
    """

    key = models.OneToOneField(APIKey, on_delete=models.CASCADE, related_name="rotation_policy")
    interval = models.DurationField(help_text="How often the key is rolled.")
    grace = models.DurationField(help_text="How long the old key keeps working after a roll.")
    enabled = models.BooleanField(default=True)
    next_rotation_at = models.DateTimeField(db_index=True)
    last_rotated_at = models.DateTimeField(null=True, blank=True)
    rotations = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rotation policy"
        verbose_name_plural = "rotation policies"

    def __str__(self) -> str:
        return f"{self.key_id} every {self.interval}"

    def is_due(self, now: datetime | None = None) -> bool:
        return self.enabled and self.next_rotation_at <= (now or timezone.now())


class SealedReason(models.TextChoices):
    REVEALED = "revealed", "Revealed"
    GRACE_ENDED = "grace_ended", "Grace period ended"
    KEY_INACTIVE = "key_inactive", "Key revoked or disabled"


class SealedSecret(models.Model):
    """The plaintext of a key issued by scheduled rotation, encrypted at rest (`lib.crypto`, bound to
    the key id) until a member reveals it once. The ciphertext is erased on reveal, at the end of the
    predecessor's grace period, or when the key stops being active; the row stays as a record.
    """

    # `ciphertext` is sealed for this purpose and the key's id (lib.crypto): copied onto another row it does not open.
    ENCRYPTION_PURPOSE = "sealed_secret"

    key = models.OneToOneField(APIKey, on_delete=models.CASCADE, related_name="sealed_secret")
    ciphertext = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    destroy_at = models.DateTimeField(db_index=True, help_text="When the ciphertext is erased if nobody revealed it.")
    revealed_at = models.DateTimeField(null=True, blank=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destroyed_reason = models.CharField(max_length=16, choices=SealedReason.choices, blank=True)

    class Meta:
        verbose_name = "sealed successor secret"

    def __str__(self) -> str:
        return f"sealed secret of {self.key_id}"

    @property
    def is_available(self) -> bool:
        """Whether the secret can still be revealed (once)."""
        return bool(self.ciphertext) and self.destroyed_at is None

    @property
    def time_left(self) -> timedelta:
        return max(self.destroy_at - timezone.now(), timedelta(0))
