"""RFC 8705 certificate-bound tokens: the mTLS + JWT combination.

A token request that reaches `/o/token/` with a client certificate from our trusted TLS proxy gets an
access token bound to that certificate: the JWT carries `"cnf": {"x5t#S256": <thumbprint>}` and the
server-side row a `CertificateBinding`, whichever the token format. A resource server then accepts
the token only on a request presenting the same certificate, so a stolen token is useless without
the certificate's private key. `keys.mtls` decides which certificate a request carries (and that the
header came from the trusted proxy); this module only compares thumbprints.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from keys.certificates.mtls import meta_certificate_thumbprint

CNF_METHOD = "x5t#S256"
_UNSET = object()
_CACHE_ATTR = "_oauth_certificate_thumbprint"


def oauthlib_request_thumbprint(request: Any) -> str | None:
    """The `x5t#S256` of the certificate an oauthlib `request` (token or protected resource) arrived with, or None.

    DOT builds the oauthlib request's headers from a copy of Django's `request.META`, so the proxy
    header and `REMOTE_ADDR` are both there. Remembered on the request: the generator, the grant
    check and the row bookkeeping all ask.
    """
    cached = getattr(request, _CACHE_ATTR, _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    headers = getattr(request, "headers", None) or {}
    thumbprint = meta_certificate_thumbprint(headers)
    setattr(request, _CACHE_ATTR, thumbprint)
    return thumbprint


def confirmation(thumbprint: str) -> dict[str, str]:
    """The `cnf` claim / introspection member for a token bound to `thumbprint`."""
    return {CNF_METHOD: thumbprint}


def same_certificate(bound: str, presented: str | None) -> bool:
    """Whether the presented certificate is the one the token is bound to (constant-time)."""
    if not presented:
        return False
    return hmac.compare_digest(bound.encode("ascii", "replace"), presented.encode("ascii", "replace"))


def bound_thumbprint(row: Any) -> str | None:
    """The thumbprint a DOT token row is bound to, or None (select_related `certificate_binding` to save a query)."""
    try:
        binding = row.certificate_binding
    except ObjectDoesNotExist:
        return None
    return str(binding.thumbprint)
