"""Client certificates and certificate authorities as registered kinds (`keys.core.registry`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.models import Organization
from keys.certificates.selectors import (
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
)
from keys.core import validation as v
from keys.core.registry import Kind, register
from keys.models import CertificateAuthority, ClientCertificate, KeyStatus


def _certificate_expiry(value: Any, row: ClientCertificate) -> datetime:
    # An identity lives no longer than its pinned certificate, or than its CA's.
    limit = row.not_after if row.not_after else row.authority.not_after  # type: ignore[union-attr]
    return v.clean_expiry_within(value, limit=limit)


def _list_context(org: Organization) -> dict[str, Any]:
    return {"authorities": authorities_for_org(org)[:50], "mtls_configured": bool(settings.MTLS_TRUSTED_PROXIES)}


def _authority_context(request: HttpRequest, authority: CertificateAuthority) -> dict[str, Any]:
    return {"identities": authority.identities.select_related("organization").order_by("-created_at")[:100]}


CLIENT_CERTIFICATE = register(
    Kind(
        name="client_certificate",
        model=ClientCertificate,
        noun="certificate",
        clean_expiry=_certificate_expiry,
        page="certificate",
        context_name="cert",
        lookup=client_certificate_for_org,
        list_query=client_certificates_for_org,
        list_context=_list_context,
        edit_help={"expires_on": "At most the certificate's (or its CA's) own expiry."},
        revoked_message="Revoked {name}. Requests with this certificate fail from now on.",
    )
)

CERTIFICATE_AUTHORITY = register(
    Kind(
        name="certificate_authority",
        model=CertificateAuthority,
        # Counted inside the revoke's transaction: how many identities stop working with it.
        revoke_metadata=lambda row: {"identities_refused": row.identities.exclude(status=KeyStatus.REVOKED).count()},
        has_status_changed_at=False,
        page="authority",
        context_name="authority",
        lookup=authority_for_org,
        detail_context=_authority_context,
        scoped=False,
        is_live=lambda authority: True,  # a CA serves every environment: always confirm
        revoked_message="{name} is no longer trusted. Its certificates fail from now on.",
    )
)
