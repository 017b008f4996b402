"""API keys. (Their hourly usage buckets are monitoring's: monitoring/models.py.)"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization
from keys import scopes as scope_registry


class KeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"
    REVOKED = "revoked", "Revoked"


class Environment(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"


class APIKey(models.Model):
    """A scoped, prefixed API key. Only `HMAC-SHA256(pepper, key)` is stored; the plaintext is shown once.

    The primary key is the key's public 8-character id, which is also embedded in the key itself, so
    authentication is a single indexed lookup.
    """

    kind = "api_key"

    id = models.CharField(primary_key=True, max_length=8, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    environment = models.CharField(max_length=4, choices=Environment.choices, default=Environment.LIVE)
    secret_hash = models.CharField(max_length=128, editable=False)
    name = models.CharField(max_length=100)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    allowed_networks = models.JSONField(default=list, blank=True, help_text="CIDR blocks; empty allows any address.")
    rate_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Requests per minute; empty for none.")
    status = models.CharField(max_length=8, choices=KeyStatus.choices, default=KeyStatus.ACTIVE, db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_reason = models.CharField(max_length=200, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    predecessor = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="successor"
    )
    rolled_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True, help_text="After a roll: when this key stops working.")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "API key"
        indexes = [models.Index(fields=("organization", "status", "-created_at"))]

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
        ends = [t for t in (self.expires_at, self.grace_until) if t is not None]
        return min(ends) if ends else None

    def is_expired(self, now: datetime | None = None) -> bool:
        ends = self.ends_at
        return ends is not None and ends <= (now or timezone.now())

    def is_active(self, now: datetime | None = None) -> bool:
        return self.status == KeyStatus.ACTIVE and not self.is_expired(now)

    @property
    def state(self) -> str:
        """What the portal shows: active, rolling (grace), expired, disabled or revoked."""
        if self.status != KeyStatus.ACTIVE:
            return self.status
        if self.is_expired():
            return "expired"
        if self.grace_until is not None:
            return "rolling"
        return "active"

    @cached_property
    def effective_scopes(self) -> frozenset[str]:
        return scope_registry.expand(self.scopes)

    def allows(self, scope: str) -> bool:
        return scope in self.effective_scopes

    @cached_property
    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.allowed_networks)

    def allows_ip(self, ip: str | None) -> bool:
        if not self.allowed_networks:
            return True
        if not ip:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def summary(self) -> dict[str, Any]:
        """Non-secret facts about the key, for events and the audit log."""
        return {
            "id": self.id,
            "name": self.name,
            "environment": self.environment,
            "scopes": list(self.scopes),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }
