"""DRF authentication for OAuth access tokens (DESIGN 6): what the company's API imports.

`AccessTokenAuthentication` accepts our RFC 9068 JWT access tokens, checked offline (no database
query: the key set is cached in the process and the revocation list is one cache read), and DOT's
opaque tokens (one indexed query). `request.auth` is an `OAuthCredential`, which
`keys.permissions.HasScopes` understands like any other credential.

A certificate-bound token (RFC 8705: `cnf.x5t#S256` in the JWT, or a `CertificateBinding` beside an
opaque token's row) is accepted only on a request that presents the same client certificate through
our trusted TLS proxy (`keys.mtls.request_certificate_thumbprint`). That is the mTLS + JWT
combination; `keys.authentication.ClientCertificateAuthentication` steps aside whenever a bearer
token is present, so the certificate binds the token instead of being the credential.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import Organization
from keys import scopes as scope_registry
from keys.certificates.mtls import request_certificate_thumbprint
from keys.core.principal import CredentialUser
from lib import http
from lib.metrics import observe_authentication
from oauth.binding import bound_thumbprint, same_certificate
from oauth.selectors import access_token_row
from oauth.tokens import InvalidToken, looks_like_jwt, verify_access_token

logger = logging.getLogger("oauth.auth")

FAILED_MESSAGE = "Invalid or expired access token."
_CLAIMS_CARRIED = ("client_id", "scopes", "expires_at", "organization_id", "user_id", "certificate_thumbprint")


class OAuthCredential:
    """`request.auth` for an OAuth access token: the same face as an API key for HasScopes and whoami."""

    kind = "oauth_token"
    # OAuth apps have no test mode: their tokens act on live data.
    environment = "live"
    rate_limit = None

    def __init__(
        self,
        *,
        token_id: str,
        client_id: str,
        scopes: tuple[str, ...],
        expires_at: datetime,
        organization_id: int | None,
        user_id: int | None,
        organization: Any = None,
        user: Any = None,
        certificate_thumbprint: str | None = None,
    ) -> None:
        self.id = token_id
        self.client_id = client_id
        self.scopes = list(scopes)
        self.expires_at = expires_at
        self.organization_id = organization_id
        self.user_id = user_id
        # RFC 8705: the x5t#S256 this token is bound to (and that this request presented), else None.
        self.certificate_thumbprint = certificate_thumbprint
        # Loaded only when a view asks, so a JWT request stays free of queries.
        self.organization = organization if organization is not None else SimpleLazyObject(self._load_organization)
        self._user = user
        self._effective = scope_registry.expand(scopes)

    def _load_organization(self) -> Organization:
        return Organization.objects.get(pk=self.organization_id or 0)

    def allows(self, scope: str) -> bool:
        return scope in self._effective

    def person(self) -> Any:
        """The user who granted the token (lazily loaded), or None for client_credentials tokens."""
        if self.user_id is None:
            return None
        if self._user is None:
            user_id = self.user_id
            self._user = SimpleLazyObject(lambda: get_user_model().objects.get(pk=user_id))
        return self._user

    def __repr__(self) -> str:
        return f"<OAuthCredential {self.id} client={self.client_id}>"


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>` unless it is one of our API keys (their class owns those)."""
    from django.conf import settings

    token = http.bearer_token(request.META.get("HTTP_AUTHORIZATION"))
    if token is None or " " in token or token.startswith(f"{settings.KEYS_PREFIX}_"):
        return None
    return token


class AccessTokenAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <access token>` issued by our OAuth server."""

    www_authenticate_realm = "api"

    @observe_authentication("oauth_token")
    def authenticate(self, request: Request) -> tuple[Any, OAuthCredential] | None:
        token = bearer_token(request)
        if token is None:
            return None
        credential = self._jwt(token) if looks_like_jwt(token) else self._opaque(token)
        if credential.certificate_thumbprint is not None:
            self._check_binding(request, credential)
        user = credential.person()
        return (user if user is not None else CredentialUser(credential)), credential

    def _fail(self, reason: str, client_id: str | None = None) -> exceptions.AuthenticationFailed:
        # One message for every reason; the reason goes to the log.
        logger.info("oauth token refused: %s (client %s)", reason, client_id or "?")
        exc = exceptions.AuthenticationFailed(FAILED_MESSAGE)
        exc.extra_headers = {"WWW-Authenticate": f'Bearer realm="{self.www_authenticate_realm}", error="invalid_token"'}  # type: ignore[attr-defined]
        return exc

    def _check_binding(self, request: Request, credential: OAuthCredential) -> None:
        """RFC 8705 section 3: a bound token needs the very certificate it was issued to, on this request."""
        bound = credential.certificate_thumbprint or ""
        presented = request_certificate_thumbprint(request)
        if same_certificate(bound, presented):
            return
        reason = (
            "certificate-bound token without a client certificate"
            if presented is None
            else ("certificate-bound token with a different client certificate")
        )
        raise self._fail(reason, credential.client_id)

    def _jwt(self, token: str) -> OAuthCredential:
        try:
            claims = verify_access_token(token)
        except InvalidToken as exc:
            raise self._fail(exc.reason) from None
        if claims.organization_id is None:
            raise self._fail("no organization claim", claims.client_id)
        # The credential carries the claims of the same names; the token's id is its jti.
        return OAuthCredential(token_id=claims.jti, **{name: getattr(claims, name) for name in _CLAIMS_CARRIED})

    def _opaque(self, token: str) -> OAuthCredential:
        if len(token) > 4096:
            raise self._fail("oversized token")
        row = access_token_row(token, "application__organization", "user", "certificate_binding")
        if row is None or row.application is None:
            raise self._fail("unknown opaque token")
        if row.expires <= timezone.now():
            raise self._fail("expired opaque token", row.application.client_id)
        if row.user is not None and not row.user.is_active:
            raise self._fail("inactive user", row.application.client_id)
        return OAuthCredential(
            token_id=str(row.pk),
            client_id=row.application.client_id,
            scopes=tuple(row.scope.split()),
            expires_at=row.expires,
            organization_id=row.application.organization_id,
            user_id=row.user_id,
            organization=row.application.organization,
            user=row.user,
            certificate_thumbprint=bound_thumbprint(row),
        )

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
