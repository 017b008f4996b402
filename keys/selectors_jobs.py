"""Reads for scheduled rotation. (Alerts and source networks: monitoring/selectors.py.)"""

from __future__ import annotations

from keys.models import APIKey, RotationPolicy, SealedSecret


def rotation_policy_for(key: APIKey) -> RotationPolicy | None:
    return RotationPolicy.objects.filter(key=key).first()


def sealed_secret_for(key: APIKey) -> SealedSecret | None:
    return SealedSecret.objects.filter(key=key).select_related("revealed_by").first()
