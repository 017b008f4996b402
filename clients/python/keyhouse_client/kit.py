"""One object a service configures once: API keys, JWT access tokens and the webhook receiver together."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from keyhouse_client import scopes as scope_rules
from keyhouse_client.credential import AuthenticationFailed, Credential
from keyhouse_client.jwt import JWTVerifier, looks_like_jwt
from keyhouse_client.verify import KeyVerifier, SharedInvalidations
from keyhouse_client.webhooks import InvalidationReceiver

MAX_HEADER_LENGTH = 8192


@dataclass(frozen=True)
class Presented:
    """Where a credential came from: `Authorization: Bearer …` or `X-API-Key: …`."""

    token: str
    scheme: str  # "bearer" or "x-api-key"


def presented(authorization: str | None, x_api_key: str | None) -> Presented | None:
    """The credential a request presents, or None when it presents none (the caller answers 401 or lets it pass)."""
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return Presented(token.strip()[:MAX_HEADER_LENGTH], "bearer")
        return None
    if x_api_key and x_api_key.strip():
        return Presented(x_api_key.strip()[:MAX_HEADER_LENGTH], "x-api-key")
    return None


class Keyhouse:
    """API keys through `POST /api/v1/verify`, JWTs against the JWKS, invalidation through webhooks.

    `api_key` is this service's own key with the `keys:verify` scope. `webhook_secrets` are the
    `whsec_…` secrets of the webhook endpoint registered for this service (none: no receiver, and the
    cache bound is `ttl` alone). `jwt=False` refuses JWTs. `shared` carries invalidations to the other
    worker processes of the service (see `SharedInvalidations`).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secrets: str | Iterable[str] = (),
        ttl: float = 5.0,
        jti_ttl: float = 5.0,
        maxsize: int = 10_000,
        timeout: float = 2.0,
        jwt: bool = True,
        issuer: str | None = None,
        audience: str | None = None,
        levels: Mapping[str, tuple[str, ...]] = scope_rules.LEVELS,
        shared: SharedInvalidations | None = None,
    ) -> None:
        self.keys = KeyVerifier(
            base_url=base_url,
            api_key=api_key,
            ttl=ttl,
            maxsize=maxsize,
            timeout=timeout,
            levels=levels,
            shared=shared,
        )
        self.tokens = (
            JWTVerifier(
                base_url=base_url,
                api_key=api_key,
                issuer=issuer,
                audience=audience,
                jti_ttl=jti_ttl,
                maxsize=maxsize,
                timeout=timeout,
                levels=levels,
            )
            if jwt
            else None
        )
        secrets = [webhook_secrets] if isinstance(webhook_secrets, str) else [s for s in webhook_secrets if s]
        self.receiver = InvalidationReceiver(secrets=secrets, invalidate=self.keys.invalidate) if secrets else None

    def authenticate(self, authorization: str | None, x_api_key: str | None, *, ip: str | None = None) -> Credential:
        """The request's credential; AuthenticationFailed when there is none or it is not valid."""
        found = presented(authorization, x_api_key)
        if found is None:
            raise AuthenticationFailed("no credential", code="MISSING")
        return self.check(found, ip=ip)

    def check(self, found: Presented, *, ip: str | None = None) -> Credential:
        if found.scheme == "bearer" and looks_like_jwt(found.token):
            if self.tokens is None:
                raise AuthenticationFailed("JWTs are not accepted here")
            return self.tokens.verify(found.token)
        return self.keys.verify(found.token, ip=ip)

    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> int:
        """The status to answer a webhook delivery with (404 when this service has no receiver)."""
        if self.receiver is None:
            return 404
        return self.receiver.handle(headers, body)


__all__ = ["AuthenticationFailed", "Credential", "Keyhouse", "Presented", "presented"]
