"""Reads of keys. (Their usage: monitoring/selectors.py.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization
from keys.models import (
    APIKey,
    CertificateAuthority,
    ClientCertificate,
    KeyStatus,
    RotationPolicy,
    SealedSecret,
    SigningSecret,
)
from keys.signing.models import parse_key_id


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
    key = (
        APIKey.objects.select_related("organization", "created_by", "revoked_by")
        .filter(organization=organization, pk=key_id)
        .first()
    )
    if key is None:
        raise Http404
    return key


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


# --- signing secrets and client certificates -----------------------------------------------------


def _credential_filters(qs: QuerySet[Any], *, search: str, state: str, environment: str) -> QuerySet[Any]:
    now = timezone.now()
    if state == "active":
        qs = qs.filter(status=KeyStatus.ACTIVE).exclude(expires_at__lte=now)
    elif state == "expired":
        qs = qs.filter(status=KeyStatus.ACTIVE, expires_at__lte=now)
    elif state in (KeyStatus.DISABLED, KeyStatus.REVOKED):
        qs = qs.filter(status=state)
    if environment in ("live", "test"):
        qs = qs.filter(environment=environment)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(id__startswith=search.rsplit("_", 1)[-1][:16]))
    return qs.order_by("-created_at", "id")


def signing_secrets_for_org(
    organization: Organization, *, search: str = "", state: str = "", environment: str = ""
) -> QuerySet[SigningSecret]:
    """The organization's signing secrets, newest first, filtered as the portal and API list allow."""
    qs = SigningSecret.objects.filter(organization=organization).select_related("organization", "api_key")
    return _credential_filters(qs, search=search, state=state, environment=environment)


def signing_secret_for_org(organization: Organization, ident: str) -> SigningSecret:
    """One signing secret by id or key id (`hs_live_…`); another organization's is a 404 like a missing one."""
    parsed = parse_key_id(ident)
    pk = parsed[1] if parsed else ident[:16]
    secret = (
        SigningSecret.objects.select_related("organization", "api_key", "created_by", "revoked_by")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if secret is None or (parsed is not None and parsed[0] != secret.environment):
        raise Http404
    return secret


def client_certificates_for_org(
    organization: Organization, *, search: str = "", state: str = "", environment: str = ""
) -> QuerySet[ClientCertificate]:
    """The organization's client certificates and CA identities, newest first."""
    qs = ClientCertificate.objects.filter(organization=organization).select_related("organization", "authority")
    return _credential_filters(qs, search=search, state=state, environment=environment)


def client_certificate_for_org(organization: Organization, ident: str) -> ClientCertificate:
    """One client certificate by id or display id (`cc_live_…`); other organizations' are a 404."""
    pk = ident.rsplit("_", 1)[-1][:12]
    cert = (
        ClientCertificate.objects.select_related("organization", "authority", "created_by", "revoked_by")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if cert is None:
        raise Http404
    return cert


def authorities_for_org(organization: Organization) -> QuerySet[CertificateAuthority]:
    return (
        CertificateAuthority.objects.filter(organization=organization)
        .select_related("organization")
        .annotate(identity_count=Count("identities"))
        .order_by("-created_at", "id")
    )


def authority_for_org(organization: Organization, ident: str) -> CertificateAuthority:
    authority = (
        CertificateAuthority.objects.select_related("organization", "created_by", "revoked_by")
        .filter(organization=organization, pk=ident[:12])
        .first()
    )
    if authority is None:
        raise Http404
    return authority


def active_authorities_for_org(organization: Organization) -> QuerySet[CertificateAuthority]:
    return CertificateAuthority.objects.filter(
        organization=organization, status=KeyStatus.ACTIVE, not_after__gt=timezone.now()
    ).order_by("name")


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
