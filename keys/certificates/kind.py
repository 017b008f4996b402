"""Client certificates and certificate authorities as registered kinds (`keys.core.registry`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.models import Organization
from keys import services
from keys.apikeys.selectors import (
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
)
from keys.core.registry import Kind, register
from keys.models import CertificateAuthority, ClientCertificate


def _list_context(org: Organization) -> dict[str, Any]:
    return {"authorities": authorities_for_org(org)[:50], "mtls_configured": bool(settings.MTLS_TRUSTED_PROXIES)}


def _authority_context(request: HttpRequest, authority: CertificateAuthority) -> dict[str, Any]:
    return {"identities": authority.identities.select_related("organization").order_by("-created_at")[:100]}


CLIENT_CERTIFICATE = register(
    Kind(
        name="client_certificate",
        model=ClientCertificate,
        label="client certificate",
        target_type="client_certificate",
        url_kwarg="cert_id",
        detail_url="keys:certificate_detail",
        context_name="cert",
        lookup=client_certificate_for_org,
        list_query=client_certificates_for_org,
        list_template="keys/certificate_list.html",
        list_context=_list_context,
        detail_template="keys/certificate_detail.html",
        update=lambda cert, **kw: services.client_certificate_update(certificate=cert, **kw),
        edit_help={"expires_on": "At most the certificate's (or its CA's) own expiry."},
        revoke=lambda cert, **kw: services.client_certificate_revoke(certificate=cert, **kw),
        revoked_message="Revoked {name}. Requests with this certificate fail from now on.",
    )
)

CERTIFICATE_AUTHORITY = register(
    Kind(
        name="certificate_authority",
        model=CertificateAuthority,
        label="certificate authority",
        target_type="certificate_authority",
        url_kwarg="authority_id",
        detail_url="keys:authority_detail",
        context_name="authority",
        lookup=authority_for_org,
        detail_template="keys/authority_detail.html",
        detail_context=_authority_context,
        scoped=False,
        is_live=lambda authority: True,  # a CA serves every environment: always confirm
        revoke=lambda authority, **kw: services.certificate_authority_revoke(authority=authority, **kw),
        revoked_message="{name} is no longer trusted. Its certificates fail from now on.",
    )
)
