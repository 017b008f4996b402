"""OpenAPI description of OAuth access-token authentication, for drf-spectacular."""

from __future__ import annotations

from lib.schema import BearerScheme


class AccessTokenAuthenticationScheme(BearerScheme):
    # A bearer scheme rather than `oauth2` flows: the API accepts tokens from every grant we offer,
    # and the flows, endpoints and scopes are in the server metadata (/.well-known/oauth-authorization-server).
    target_class = "oauth.authentication.AccessTokenAuthentication"
    name = "OAuth2AccessToken"
    bearer_format = "JWT"
    description = (
        "Authorization: Bearer <access token> from our OAuth server (/o/token/): an RFC 9068 "
        "JWT, or an opaque token. A certificate-bound token (cnf.x5t#S256, RFC 8705) works only over mTLS with "
        "the same client certificate. See docs/oauth.md."
    )
