"""JWT access tokens (RFC 9068): one strict helper to mint them and one to check them, on jwcrypto.

Minting is DOT's ACCESS_TOKEN_GENERATOR. DOT stores only the SHA-256 of the token
(COMPLIANT_BCP_RFC9700_TOKEN_STORAGE), so introspection and revocation work as for opaque tokens.

Checking happens offline against the cached key set: the header must say `alg` RS256 (the only
algorithm on the allow-list), `typ` at+jwt and a `kid` we publish, and carry nothing else; the
signature must verify; `iss`, `aud`, `exp`, `iat` and the other RFC 9068 claims must be present
and right. A revoked token's `jti` sits on the revocation list (the shared cache) until it would
have expired, so it fails on the next request on every node.

A token requested over mTLS carries `cnf.x5t#S256` (RFC 8705, oauth.binding); the claim is checked
for shape here, and against the request's certificate by `oauth.authentication`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from jwcrypto import jws
from jwcrypto.common import JWException, base64url_decode
from oauth2_provider.settings import oauth2_settings

from lib import jsonlimit
from oauth.binding import CNF_METHOD, confirmation, oauthlib_request_thumbprint
from oauth.jwks import ALGORITHM, keyset

ACCEPTED_ALGORITHMS = frozenset({ALGORITHM})
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
ALLOWED_HEADER = frozenset({"alg", "typ", "kid"})
REQUIRED_CLAIMS = ("iss", "sub", "aud", "client_id", "scope", "jti", "iat", "exp")
MAX_TOKEN_LENGTH = 8192
# Time claims must fall before 2100-01-01: a larger `exp` (1e18) would overflow datetime (issue 10).
MAX_TIMESTAMP = 4_102_444_800
# Tolerated clock difference between nodes for `iat`/`nbf` (never for `exp`).
CLOCK_SKEW = 5
_REVOKED = "oauth:revoked-jti:"


class InvalidToken(Exception):
    """The presented JWT is not one of our valid access tokens; `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessTokenClaims:
    """The checked claims of one JWT access token."""

    sub: str
    client_id: str
    scopes: tuple[str, ...]
    jti: str
    issued_at: datetime
    expires_at: datetime
    organization_id: int | None
    user_id: int | None
    claims: dict[str, Any]
    # RFC 8705: the x5t#S256 of the client certificate the token is bound to, or None for a plain bearer token.
    certificate_thumbprint: str | None = None


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated parts starting with a JSON header: cheap, before any parsing."""
    return token.count(".") == 2 and token.startswith("eyJ")


# --- minting -----------------------------------------------------------------------------------


def generate_access_token(request: Any) -> str:
    """DOT's ACCESS_TOKEN_GENERATOR: an RS256 JWT for the oauthlib `request` being answered.

    The `jti` and expiry are left on the request for the validator, which ties them to DOT's row.
    """
    keys = keyset()
    now = int(time.time())
    expires_in = int(getattr(request, "expires_in", None) or oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
    client = request.client
    user = None if request.grant_type == "client_credentials" else getattr(request, "user", None)
    jti = secrets.token_urlsafe(18)
    claims: dict[str, Any] = {
        "iss": settings.OAUTH_ISSUER,
        # RFC 9068 2.2: without a resource owner, `sub` names the client itself.
        "sub": str(user.pk) if user is not None else client.client_id,
        "aud": settings.OAUTH_ACCESS_TOKEN_AUDIENCE,
        "client_id": client.client_id,
        "scope": " ".join(request.scopes or []),
        "jti": jti,
        "iat": now,
        "exp": now + expires_in,
        "org": client.organization_id,
    }
    thumbprint = oauthlib_request_thumbprint(request)
    if thumbprint is not None:
        claims["cnf"] = confirmation(thumbprint)
    token = jws.JWS(json.dumps(claims, separators=(",", ":")).encode())
    header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": keys.kid}
    token.add_signature(keys.signing_key, alg=ALGORITHM, protected=json.dumps(header, separators=(",", ":")))
    request.issued_jwt = (jti, datetime.fromtimestamp(claims["exp"], tz=UTC))
    return str(token.serialize(compact=True))


# --- checking ----------------------------------------------------------------------------------


def _json_part(part: str) -> dict[str, Any]:
    try:
        # A header or payload nested 1,000 levels deep fits in MAX_TOKEN_LENGTH: parse with the depth limit.
        value = jsonlimit.loads(base64url_decode(part))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidToken("undecodable part") from exc
    if not isinstance(value, dict):
        raise InvalidToken("part is not a JSON object")
    return value


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken(f"{name} is not an integer")
    if not 0 <= value < MAX_TIMESTAMP:
        raise InvalidToken(f"{name} is out of range")
    return value


def verify_access_token(token: str, *, now: float | None = None) -> AccessTokenClaims:
    """Check a JWT access token offline and return its claims; InvalidToken says why not."""
    if len(token) > MAX_TOKEN_LENGTH or not looks_like_jwt(token):
        raise InvalidToken("not a compact JWS")
    header_part, _, _ = token.partition(".")
    header = _json_part(header_part)
    if set(header) - ALLOWED_HEADER:
        # No crit, jku, jwk, x5u or x5c: keys come only from our own set.
        raise InvalidToken(f"unexpected header fields {sorted(set(header) - ALLOWED_HEADER)}")
    if any(not isinstance(header.get(name, ""), str) for name in ALLOWED_HEADER):
        # `"alg": ["RS256"]` or an object is not a name: refuse it before any set lookup (issue 10).
        raise InvalidToken("header fields must be strings")
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise InvalidToken(f"algorithm {header.get('alg')!r} not allowed")
    if str(header.get("typ", "")).lower() not in ACCEPTED_TYPES:
        raise InvalidToken("typ is not at+jwt")
    key = keyset().public.get(str(header.get("kid", "")))
    if key is None:
        raise InvalidToken("unknown kid")
    verifier = jws.JWS()
    try:
        verifier.deserialize(token)
        verifier.allowed_algs = list(ACCEPTED_ALGORITHMS)
        verifier.verify(key, alg=ALGORITHM)
    except (JWException, ValueError, TypeError) as exc:
        raise InvalidToken("bad signature") from exc
    claims = _json_part(token.split(".")[1])
    return _check_claims(claims, time.time() if now is None else now)


def _check_claims(claims: dict[str, Any], now: float) -> AccessTokenClaims:
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise InvalidToken(f"missing claims {missing}")
    if claims["iss"] != settings.OAUTH_ISSUER:
        raise InvalidToken("wrong issuer")
    audience = claims["aud"]
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or settings.OAUTH_ACCESS_TOKEN_AUDIENCE not in audiences:
        raise InvalidToken("wrong audience")
    exp = _int_claim(claims, "exp")
    iat = _int_claim(claims, "iat")
    if now >= exp:
        raise InvalidToken("expired")
    if iat > now + CLOCK_SKEW:
        raise InvalidToken("issued in the future")
    if "nbf" in claims and _int_claim(claims, "nbf") > now + CLOCK_SKEW:
        raise InvalidToken("not yet valid")
    for name in ("sub", "client_id", "scope", "jti"):
        if not isinstance(claims[name], str):
            raise InvalidToken(f"{name} is not a string")
    if not claims["jti"] or is_revoked(claims["jti"]):
        raise InvalidToken("revoked")
    org = claims.get("org")
    thumbprint = _confirmation_thumbprint(claims)
    person = claims["sub"] != claims["client_id"] and claims["sub"].isdigit()
    return AccessTokenClaims(
        sub=claims["sub"],
        client_id=claims["client_id"],
        scopes=tuple(claims["scope"].split()),
        jti=claims["jti"],
        issued_at=datetime.fromtimestamp(iat, tz=UTC),
        expires_at=datetime.fromtimestamp(exp, tz=UTC),
        organization_id=org if isinstance(org, int) and not isinstance(org, bool) else None,
        user_id=int(claims["sub"]) if person else None,
        claims=claims,
        certificate_thumbprint=thumbprint,
    )


def _confirmation_thumbprint(claims: dict[str, Any]) -> str | None:
    """The `cnf.x5t#S256` of a bound token; a `cnf` we cannot honour makes the token invalid, never unbound."""
    if "cnf" not in claims:
        return None
    cnf = claims["cnf"]
    if not isinstance(cnf, dict) or set(cnf) != {CNF_METHOD}:
        # Another confirmation method (jkt, jwk, …) is one we cannot check, so the token cannot be used here.
        raise InvalidToken("unsupported cnf")
    thumbprint = cnf[CNF_METHOD]
    if not isinstance(thumbprint, str) or not thumbprint or len(thumbprint) > 64:
        raise InvalidToken("malformed cnf x5t#S256")
    return thumbprint


# --- the revocation list -----------------------------------------------------------------------


def revoke_jti(jti: str, expires: datetime) -> None:
    """Deny `jti` on every node until the token would have expired anyway."""
    ttl = int((expires - datetime.now(tz=UTC)).total_seconds()) + CLOCK_SKEW + 1
    if ttl > 0:
        cache.set(f"{_REVOKED}{jti}", 1, timeout=ttl)


def is_revoked(jti: str) -> bool:
    return cache.get(f"{_REVOKED}{jti}") is not None
