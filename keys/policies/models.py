"""One team's key-hygiene policy: lifetime, mandatory expiry and allowlist, per-role scopes, default rotation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from accounts.models import Organization


class CredentialPolicy(models.Model):
    """What every new or changed credential of one organization must satisfy (`keys.policies.rules`).

    A team without a row has the empty policy (`policy_for`): no limits beyond the platform's own.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="credential_policy")
    max_lifetime_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="New credentials must expire within this many days (empty: no limit)."
    )
    max_age_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="API keys older than this are rolled by the rotation job (empty: never)."
    )
    require_live_expiry = models.BooleanField(default=False, help_text="Live credentials must have an expiry.")
    require_live_allowlist = models.BooleanField(
        default=False, help_text="Live credentials must be limited to allowed networks."
    )
    # {"admin": ["*:read", "orders:*"], "developer": ["*:read"]}: the scope patterns a role may grant.
    # A role not named may grant any scope; owners always may (someone must be able to issue any key).
    role_scopes = models.JSONField(default=dict, blank=True)
    rotation_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="New live API keys get a rotation policy with this interval (empty: none)."
    )
    rotation_grace_hours = models.PositiveIntegerField(default=24)
    # The ISO week ("2026-W49") of the last idle-credential report, claimed by the weekly job.
    idle_report_week = models.CharField(max_length=8, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "credential policy"
        verbose_name_plural = "credential policies"

    def __str__(self) -> str:
        return f"policy of {self.organization_id}"

    def scopes_for(self, role: str) -> list[str] | None:
        """The scope patterns `role` may grant, or None for any scope."""
        patterns = (self.role_scopes or {}).get(role)
        return None if patterns is None else list(patterns)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in POLICY_FIELDS}


POLICY_FIELDS = (
    "max_lifetime_days",
    "max_age_days",
    "require_live_expiry",
    "require_live_allowlist",
    "role_scopes",
    "rotation_interval_days",
    "rotation_grace_hours",
)


def policy_for(organization: Organization) -> CredentialPolicy:
    """The team's policy; an unsaved empty one when it has none (one indexed query)."""
    return CredentialPolicy.objects.filter(organization=organization).first() or CredentialPolicy(
        organization=organization
    )
