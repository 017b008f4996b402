"""Reads of API keys. (Their usage: monitoring/selectors.py.)"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organization
from keys.certificates.selectors import (
    active_authorities_for_org,
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
)
from keys.core.selectors import team_row_or_404
from keys.models import APIKey, KeyStatus, RotationPolicy, SealedSecret
from keys.signing.selectors import signing_secret_for_org, signing_secrets_for_org

# The other kinds' reads live with them; the portal views still import them from here.
__all__ = [
    "active_authorities_for_org",
    "active_keys_for_binding",
    "authorities_for_org",
    "authority_for_org",
    "client_certificate_for_org",
    "client_certificates_for_org",
    "key_counts",
    "key_for_org",
    "key_successor",
    "keys_for_org",
    "rotation_policy_for",
    "sealed_secret_for",
    "signing_secret_for_org",
    "signing_secrets_for_org",
]


def keys_for_org(
    organization: Organization, *, search: str = "", state: str = "", environment: str = ""
) -> QuerySet[APIKey]:
    """The organization's keys, newest first, filtered as the portal and API list allow."""
    qs = APIKey.objects.filter(organization=organization).select_related("organization", "successor", "predecessor")
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(id__startswith=search.rsplit("_", 1)[-1][:8]))
    now = timezone.now()
    expired = Q(expires_at__lte=now) | Q(grace_until__lte=now)
    if state == "active":
        qs = qs.filter(status=KeyStatus.ACTIVE).exclude(expired)
    elif state == "expired":
        qs = qs.filter(status=KeyStatus.ACTIVE).filter(expired)
    elif state in (KeyStatus.DISABLED, KeyStatus.REVOKED):
        qs = qs.filter(status=state)
    if environment in ("live", "test"):
        qs = qs.filter(environment=environment)
    return qs.order_by("-created_at", "id")


def key_for_org(organization: Organization, key_id: str) -> APIKey:
    """One key of the organization; another organization's key is a 404, exactly like a missing one."""
    return team_row_or_404(APIKey, organization, key_id)


def key_successor(key: APIKey) -> APIKey | None:
    return APIKey.objects.filter(predecessor=key).first()


def key_counts(organization: Organization) -> dict[str, int]:
    now = timezone.now()
    qs = APIKey.objects.filter(organization=organization)
    live = (
        Q(status=KeyStatus.ACTIVE)
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        & (Q(grace_until__isnull=True) | Q(grace_until__gt=now))
    )
    return {
        "total": qs.count(),
        "active": qs.filter(live).count(),
        "expiring_soon": qs.filter(live, expires_at__lte=now + timedelta(days=7)).count(),
        "revoked": qs.filter(status=KeyStatus.REVOKED).count(),
    }


def active_keys_for_binding(organization: Organization) -> QuerySet[APIKey]:
    """API keys a signing secret may be bound to (API key + HMAC)."""
    now = timezone.now()
    return (
        APIKey.objects.filter(organization=organization, status=KeyStatus.ACTIVE)
        .exclude(expires_at__lte=now)
        .exclude(grace_until__lte=now)
        .order_by("name")
    )


def rotation_policy_for(key: APIKey) -> RotationPolicy | None:
    return RotationPolicy.objects.filter(key=key).first()


def sealed_secret_for(key: APIKey) -> SealedSecret | None:
    return SealedSecret.objects.filter(key=key).select_related("revealed_by").first()
