"""JWT access tokens (RFC 9068) checked offline against the platform's JWKS, plus its `jti` revocation list.

- Keys come only from the JWKS (`/o/.well-known/jwks.json`): the header may carry `alg` RS256, `typ`
  at+jwt and `kid`, nothing else (no `jku`, `jwk`, `x5u`: an attacker must not pick the key).
- Rotation: a `kid` we have not seen makes us refetch the JWKS, at most once per
  `refetch_interval` seconds, so a flood of made-up kids cannot turn into a flood of fetches.
- Revocation: a token revoked on the platform has its `jti` on the revocation list; we ask
  `POST /api/v1/oauth/jti-status` and keep a "not revoked" answer for `jti_ttl` seconds (the bound on
  how long a revoked token keeps working here), a "revoked" one until the token expires.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from keyhouse_client import scopes as scope_rules
from keyhouse_client.cache import TTLCache
from keyhouse_client.credential import AuthenticationFailed, Credential, PlatformUnavailable
from keyhouse_client.jsonobject import json_object

ALGORITHM = "RS256"
ALLOWED_HEADER = frozenset({"alg", "typ", "kid"})
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
REQUIRED_CLAIMS = ("iss", "sub", "aud", "client_id", "scope", "jti", "iat", "exp")
MAX_TOKEN_LENGTH = 8192
CLOCK_SKEW = 5


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class JWTVerifier:
    """Verify the platform's JWT access tokens. `api_key` (scope `keys:verify`) asks the revocation list."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        issuer: str | None = None,
        audience: str | None = None,
        jwks_url: str | None = None,
        refetch_interval: float = 30.0,
        jti_ttl: float = 5.0,
        maxsize: int = 10_000,
        timeout: float = 2.0,
        levels: Mapping[str, tuple[str, ...]] = scope_rules.LEVELS,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer or f"{self.base_url}/o"
        self.audience = audience or f"{self.base_url}/api"
        self.jwks_url = jwks_url or f"{self.base_url}/o/.well-known/jwks.json"
        self.refetch_interval = refetch_interval
        self.levels = levels
        self.jti_cache: TTLCache[bool] = TTLCache(ttl=jti_ttl, maxsize=maxsize)
        self._revoked: TTLCache[bool] = TTLCache(ttl=86_400, maxsize=maxsize)
        self._http = client or httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._clock = clock
        self._keys: dict[str, jwk.JWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    # --- the key set --------------------------------------------------------------------------

    def _key_for(self, kid: str) -> jwk.JWK:
        key = self._keys.get(kid)
        if key is not None:
            return key
        with self._lock:
            key = self._keys.get(kid)
            due = self._fetched_at is None or self._clock() - self._fetched_at >= self.refetch_interval
            if key is None and due:
                self._refresh()
                key = self._keys.get(kid)
        if key is None:
            raise AuthenticationFailed("unknown kid")
        return key

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        try:
            response = self._http.get(self.jwks_url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PlatformUnavailable(f"JWKS fetch failed: {type(exc).__name__}") from exc
        keys: dict[str, jwk.JWK] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            if "kid" in entry and entry.get("alg", ALGORITHM) == ALGORITHM:
                public = {name: entry[name] for name in ("kty", "n", "e", "kid") if name in entry}
                keys[str(entry["kid"])] = jwk.JWK(**public)
        # Replace, not merge: a key the platform withdrew stops verifying here on the next refetch.
        self._keys = keys

    # --- the token ----------------------------------------------------------------------------

    def verify(self, token: str) -> Credential:
        """The token's credential, or AuthenticationFailed (PlatformUnavailable when the platform cannot say)."""
        if len(token) > MAX_TOKEN_LENGTH or not looks_like_jwt(token):
            raise AuthenticationFailed("not a compact JWS")
        checker = jws.JWS()
        try:
            # jwcrypto parses the protected header (a JSON object, or InvalidJWSObject); no key is used yet.
            checker.deserialize(token)
            header = checker.jose_header
        except (JWException, ValueError, TypeError) as exc:
            raise AuthenticationFailed("not a compact JWS") from exc
        if set(header) - ALLOWED_HEADER:
            raise AuthenticationFailed("unexpected header fields")
        if header.get("alg") != ALGORITHM:
            raise AuthenticationFailed("algorithm not allowed")
        if str(header.get("typ", "")).lower() not in ACCEPTED_TYPES:
            raise AuthenticationFailed("typ is not at+jwt")
        key = self._key_for(str(header.get("kid", "")))
        try:
            checker.allowed_algs = [ALGORITHM]
            checker.verify(key, alg=ALGORITHM)
        except (JWException, ValueError, TypeError) as exc:
            raise AuthenticationFailed("bad signature") from exc
        try:
            claims = json_object(checker.payload)
        except ValueError as exc:
            raise AuthenticationFailed(f"JWT payload: {exc}") from exc
        self._check_claims(claims, time.time())
        if self.is_revoked(claims["jti"], claims["exp"]):
            raise AuthenticationFailed("revoked jti", code="REVOKED")
        org = claims.get("org")
        return Credential(
            id=claims["jti"],
            kind="oauth_token",
            organization=org if isinstance(org, int | str) and not isinstance(org, bool) else None,
            scopes=tuple(claims["scope"].split()),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
            environment="live",
            client_id=claims["client_id"],
            subject=claims["sub"],
            levels=self.levels,
            raw=claims,
        )

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> None:
        absent = [name for name in REQUIRED_CLAIMS if name not in claims]
        if absent:
            raise AuthenticationFailed(f"missing claims {absent}")
        if claims["iss"] != self.issuer:
            raise AuthenticationFailed("wrong issuer")
        audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise AuthenticationFailed("wrong audience")
        for name in ("exp", "iat", "nbf"):
            if name in claims and not _is_int(claims[name]):
                raise AuthenticationFailed(f"{name} is not an integer")
        if now >= claims["exp"]:
            raise AuthenticationFailed("expired", code="EXPIRED")
        if claims["iat"] > now + CLOCK_SKEW:
            raise AuthenticationFailed("issued in the future")
        if "nbf" in claims and claims["nbf"] > now + CLOCK_SKEW:
            raise AuthenticationFailed("not yet valid")
        for name in ("sub", "client_id", "scope", "jti"):
            if not isinstance(claims[name], str) or (name == "jti" and not claims[name]):
                raise AuthenticationFailed(f"{name} is not a string")
        if "cnf" in claims:
            # A certificate-bound token (RFC 8705) needs the client certificate, which this kit does not see.
            raise AuthenticationFailed("certificate-bound token")

    # --- the revocation list ------------------------------------------------------------------

    def is_revoked(self, jti: str, exp: int) -> bool:
        entry = hashlib.sha256(jti.encode()).hexdigest()
        if self._revoked.get(entry):
            return True
        if self.jti_cache.get(entry) is not None:
            return False
        try:
            response = self._http.post(
                f"{self.base_url}/api/v1/oauth/jti-status", json={"jti": [jti]}, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"jti-status failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise PlatformUnavailable(f"jti-status answered {response.status_code}")
        try:
            revoked = jti in (json_object(response.content).get("revoked") or [])
        except ValueError as exc:
            raise PlatformUnavailable(f"jti-status answered something that is not a JSON object: {exc}") from exc
        if revoked:
            self._revoked.set(entry, True, tag=jti, ttl=exp - time.time() + CLOCK_SKEW)
        else:
            self.jti_cache.set(entry, False, tag=jti)
        return revoked

    def forget(self, jti: str) -> None:
        """Drop the cached "not revoked" answer for `jti`, so the next request asks again."""
        self.jti_cache.invalidate(jti)
