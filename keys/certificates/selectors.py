"""Reads of client certificates and certificate authorities."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Organization
from keys.certificates.models import CertificateAuthority, ClientCertificate
from keys.core.models import KeyStatus
from keys.core.selectors import team_credentials, team_row_or_404


def client_certificates_for_org(organization: Organization, **filters: str) -> QuerySet[ClientCertificate]:
    """The team's client certificates and CA identities, newest first, filtered as the lists allow."""
    return team_credentials(ClientCertificate, organization, related=("authority",), **filters)


def client_certificate_for_org(organization: Organization, ident: str) -> ClientCertificate:
    """One client certificate by id or display id (`cc_live_…`); other organizations' are a 404."""
    return team_row_or_404(ClientCertificate, organization, ident.rsplit("_", 1)[-1][:12], related=("authority",))


def authorities_for_org(organization: Organization) -> QuerySet[CertificateAuthority]:
    return (
        CertificateAuthority.objects.filter(organization=organization)
        .select_related("organization")
        .annotate(identity_count=Count("identities"))
        .order_by("-created_at", "id")
    )


def authority_for_org(organization: Organization, ident: str) -> CertificateAuthority:
    return team_row_or_404(CertificateAuthority, organization, ident[:12])


def active_authorities_for_org(organization: Organization) -> QuerySet[CertificateAuthority]:
    return CertificateAuthority.objects.filter(
        organization=organization, status=KeyStatus.ACTIVE, not_after__gt=timezone.now()
    ).order_by("name")
