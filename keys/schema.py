"""OpenAPI description of API-key authentication, for drf-spectacular."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from lib.schema import BearerScheme


def _bearer(description: str) -> dict[str, Any]:
    return {"type": "http", "scheme": "bearer", "bearerFormat": "ak_{live|test}_…", "description": description}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"type": "apiKey", "in": "header", "name": name, "description": description}


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "keys.authentication.APIKeyAuthentication"
    name = ["ApiKeyBearer", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            _bearer("Authorization: Bearer <key>"),
            _header("X-API-Key", "X-API-Key: <key>"),
        ]


class HeaderScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """A security scheme of one request header. Subclasses set `target_class`, `name`, `header` and
    `description`; this base names no target class, so drf-spectacular never matches it itself."""

    header: str
    description: str

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return _header(self.header, self.description)


class SignedRequestAuthenticationScheme(HeaderScheme):
    target_class = "keys.authentication.SignedRequestAuthentication"
    name = "SignedRequest"
    header = "Signature"
    description = (
        "RFC 9421 HTTP Message Signatures with hmac-sha256: Signature-Input, Signature and, "
        "for a body, Content-Digest (sha-256). See docs/signing.md."
    )


class SignedAPIKeyAuthenticationScheme(BearerScheme):
    target_class = "keys.authentication.SignedAPIKeyAuthentication"
    name = "ApiKeyAndSignature"
    bearer_format = "ak_{live|test}_…"
    description = "An API key, plus an RFC 9421 hmac-sha256 signature that covers it (docs/signing.md)."


class ClientCertificateAuthenticationScheme(HeaderScheme):
    target_class = "keys.authentication.ClientCertificateAuthentication"
    name = "MutualTLS"
    # OpenAPI 3.0 has no mutualTLS scheme; the header is set by our TLS proxy, never by clients.
    header = "X-Client-Cert"
    description = (
        "mTLS: present a registered client certificate in the TLS handshake; the proxy "
        "forwards it (docs/mtls.md). Clients never send this header themselves."
    )
