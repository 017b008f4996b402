"""The key-policies page's form: the policy fields, with each limited role's scopes as one line of patterns."""

from __future__ import annotations

from typing import Any

from django import forms

from keys.policies.models import CredentialPolicy


def _days(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, max_value=3650, label=label, help_text=help_text)


class CredentialPolicyForm(forms.Form):
    max_lifetime_days = _days(
        "Maximum lifetime (days)",
        "New credentials of every kind must expire within this many days. Empty for no limit.",
    )
    require_live_expiry = forms.BooleanField(
        required=False, label="Live credentials must have an expiry", help_text="Creating, changing or rolling one."
    )
    require_live_allowlist = forms.BooleanField(
        required=False,
        label="Live credentials must have an IP allowlist",
        help_text="At least one allowed network (CIDR) on every live credential created, changed or rolled.",
    )
    admin_scopes = forms.CharField(
        required=False,
        label="Scopes admins may grant",
        help_text="Scope patterns separated by spaces or commas, e.g. *:read orders:*. Empty for any scope. "
        "Owners may always grant any scope.",
    )
    developer_scopes = forms.CharField(
        required=False, label="Scopes developers may grant", help_text="e.g. *:read. Empty for any scope."
    )
    max_age_days = _days(
        "Maximum key age (days)",
        "API keys older than this are rolled automatically; the new key is sealed until someone "
        "reveals it on its page. Empty for none.",
    )
    rotation_interval_days = _days(
        "Default rotation for new live keys (days)",
        "New live API keys get a rotation policy rolling them this often. Empty for none.",
    )
    rotation_grace_hours = forms.IntegerField(
        min_value=1, max_value=720, initial=24, label="Rotation grace period (hours)"
    )

    @classmethod
    def for_policy(cls, policy: CredentialPolicy, data: Any = None) -> CredentialPolicyForm:
        initial = {name: getattr(policy, name) for name in cls.base_fields if hasattr(policy, name)}
        for role in ("admin", "developer"):
            patterns = policy.scopes_for(role)
            initial[f"{role}_scopes"] = " ".join(patterns or [])
        return cls(data, initial=initial)

    def changes(self) -> dict[str, Any]:
        """The service's keyword arguments."""
        data = dict(self.cleaned_data)
        role_scopes: dict[str, list[str]] = {}
        for role in ("admin", "developer"):
            patterns = str(data.pop(f"{role}_scopes") or "").replace(",", " ").split()
            if patterns:
                role_scopes[role] = patterns
        return {**data, "role_scopes": role_scopes}
