"""What every credential kind shares: team, scopes, environment, expiry, networks, limit, status."""

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


def team_list_index(name: str) -> models.Index:
    """The index every kind's list reads: one team's credentials by status, newest first."""
    return models.Index(fields=("organization", "status", "-created_at"), name=name)


class Credential(models.Model):
    """Abstract base of every credential kind: API keys, signing secrets and client certificates.

    Instances are what `request.auth` holds after authentication, so they expose the same surface as
    `APIKey`: `.id`, `.kind`, `.organization`, `.scopes`, `.expires_at`, `.environment`, `.allows()`
    and `.rate_limit`, which is all `HasScopes` and `CredentialRateThrottle` use.
    """

    kind = "credential"

    name = models.CharField(max_length=100)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="%(class)ss")
    environment = models.CharField(max_length=4, choices=Environment.choices, default=Environment.LIVE)
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
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.display_id})"

    @property
    def display_id(self) -> str:
        """The public identifier the portal and the API show."""
        return str(self.pk)

    @property
    def ends_at(self) -> datetime | None:
        """When the credential stops working on its own (uniform across kinds, for expiry notices)."""
        return self.expires_at

    def is_expired(self, now: datetime | None = None) -> bool:
        ends = self.ends_at
        return ends is not None and ends <= (now or timezone.now())

    def is_active(self, now: datetime | None = None) -> bool:
        return self.status == KeyStatus.ACTIVE and not self.is_expired(now)

    @property
    def state(self) -> str:
        """What the portal shows: active, expired, disabled or revoked."""
        if self.status != KeyStatus.ACTIVE:
            return self.status
        if self.is_expired():
            return "expired"
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
        """Non-secret facts about the credential, for events and the audit log."""
        return {
            "id": self.display_id,
            "kind": self.kind,
            "name": self.name,
            "environment": self.environment,
            "scopes": list(self.scopes),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }
