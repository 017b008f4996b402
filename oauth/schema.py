"""OpenAPI description of OAuth access-token authentication, for drf-spectacular."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "oauth.authentication.AccessTokenAuthentication"
    name = "OAuth2AccessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        # A bearer scheme rather than `oauth2` flows: the API accepts tokens from every grant we offer,
        # and the flows, endpoints and scopes are in the server metadata (/.well-known/oauth-authorization-server).
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Authorization: Bearer <access token> from our OAuth server (/o/token/): an RFC 9068 "
            "JWT, or an opaque token. A certificate-bound token (cnf.x5t#S256, RFC 8705) works only over mTLS with "
            "the same client certificate. See docs/oauth.md.",
        }
