"""The client certificate of a request, as forwarded by a TLS-terminating proxy we trust.

The certificate arrives in `MTLS_CLIENT_CERT_HEADER` (nginx `$ssl_client_escaped_cert`, or Envoy's
`x-forwarded-client-cert`). Anyone can send that header, so it is read only when the TCP peer
(`REMOTE_ADDR`, never `X-Forwarded-For`) is inside `MTLS_TRUSTED_PROXIES`; from any other address it
is ignored, as if absent. The proxy has already checked, in the TLS handshake, that the client holds
the certificate's private key; what the certificate is allowed to do is decided here and in
`keys.services.certificates`.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from keys.certificates.x509 import CertificateError, CertificateInfo, from_proxy_header

logger = logging.getLogger("keys.auth")

_NETWORK = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHE_ATTR = "_keys_client_certificate"


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[_NETWORK, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def trusted_proxies() -> tuple[_NETWORK, ...]:
    return _networks(tuple(settings.MTLS_TRUSTED_PROXIES))


def header_name() -> str:
    return str(settings.MTLS_CLIENT_CERT_HEADER)


def meta_key() -> str:
    """The WSGI environ key of the configured header (`X-Client-Cert` → `HTTP_X_CLIENT_CERT`)."""
    return "HTTP_" + header_name().upper().replace("-", "_")


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request's TCP peer is one of `MTLS_TRUSTED_PROXIES`."""
    return _peer_is_trusted(request.META)


def _peer_is_trusted(meta: Mapping[str, Any]) -> bool:
    networks = trusted_proxies()
    if not networks:
        return False
    try:
        peer = ipaddress.ip_address(meta.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    return any(peer in network for network in networks)


def _django_request(request: Any) -> HttpRequest:
    """The Django request under a DRF `Request`, so both share one parsed certificate."""
    return getattr(request, "_request", request)  # type: ignore[no-any-return]


class Presented:
    """The outcome of reading the header: no certificate, a parsed one, or an unreadable one."""

    def __init__(self, info: CertificateInfo | None = None, error: str | None = None) -> None:
        self.info = info
        self.error = error


def presented_certificate(request: Any) -> Presented | None:
    """The certificate the trusted proxy forwarded; None when there is none or the sender is not trusted.

    Parsed once per request and remembered on it, so authentication and token binding share the work.
    """
    request = _django_request(request)
    if hasattr(request, _CACHE_ATTR):
        cached: Presented | None = getattr(request, _CACHE_ATTR)
        return cached
    result = _presented_in(request.META)
    setattr(request, _CACHE_ATTR, result)
    return result


def _presented_in(meta: Mapping[str, Any]) -> Presented | None:
    value = meta.get(meta_key())
    if not value:
        return None
    if not _peer_is_trusted(meta):
        # A header we did not ask anyone to set: somebody is trying to impersonate the proxy.
        logger.warning("client certificate header from untrusted address %s ignored", meta.get("REMOTE_ADDR"))
        return None
    try:
        return Presented(from_proxy_header(str(value), header=header_name()))
    except CertificateError as exc:
        return Presented(error=str(exc))


def _valid_info(presented: Presented | None) -> CertificateInfo | None:
    if presented is None or presented.info is None or not presented.info.is_valid_at(timezone.now()):
        return None
    return presented.info


def request_certificate(request: Any) -> CertificateInfo | None:
    """The forwarded client certificate if it came from a trusted proxy, parses, and is within its
    validity dates now; otherwise None. Registration and revocation are not consulted here."""
    return _valid_info(presented_certificate(request))


def request_certificate_thumbprint(request: Any) -> str | None:
    """The x5t#S256 thumbprint (RFC 8705 section 3.1) of the request's verified client certificate, or None.

    This is the value an authorization server puts in a token's `cnf` claim at issuance
    (`{"cnf": {"x5t#S256": <this>}}`) and a resource server compares with the token's `cnf` on every
    request: equal means the same certificate, so the token is used by the client it was issued to.
    None when the request has no certificate, came around the trusted proxy, or the certificate is
    unreadable or outside its validity dates. Takes a Django or a DRF request.
    """
    info = request_certificate(request)
    return info.thumbprint if info is not None else None


def meta_certificate_thumbprint(meta: Mapping[str, Any]) -> str | None:
    """The same as `request_certificate_thumbprint`, from a WSGI environ / `request.META` mapping.

    For code that holds no Django request, such as django-oauth-toolkit's token generator: the oauthlib
    request's `headers` is a copy of `request.META` (REMOTE_ADDR and the HTTP_* keys included).
    """
    info = _valid_info(_presented_in(meta))
    return info.thumbprint if info is not None else None
