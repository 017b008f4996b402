"""The signing keys as JWKs: the active one signs, all of them verify, and the JWKS publishes them.

Parsing a PEM and exporting an RSA key is slow, so the set is built once per process for each
configuration (a settings change, as in tests or a rotation deploy, builds a new one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

ALGORITHM = "RS256"
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class KeySet:
    """The active private key with its kid, and every public key (active first) by kid."""

    signing_key: jwk.JWK
    kid: str
    public: dict[str, jwk.JWK]
    document: dict[str, Any]


def load_private_key(pem: str) -> jwk.JWK:
    """A JWK from an RSA private-key PEM; refuses other key types and keys under 2048 bits."""
    try:
        key = jwk.JWK.from_pem(pem.encode())
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"An OIDC signing key is not a readable PEM private key: {exc}") from exc
    if key.get("kty") != "RSA" or not key.has_private:
        raise ImproperlyConfigured("OIDC signing keys must be RSA private keys (RS256).")
    size = key.get_op_key("sign").key_size
    if size < MIN_RSA_BITS:
        raise ImproperlyConfigured(f"An OIDC signing key has {size} bits; at least {MIN_RSA_BITS} are required.")
    return key


@lru_cache(maxsize=8)
def _build(active_pem: str, inactive_pems: tuple[str, ...]) -> KeySet:
    signing = load_private_key(active_pem)
    public: dict[str, jwk.JWK] = {}
    entries: list[dict[str, Any]] = []
    for pem in (active_pem, *inactive_pems):
        private = signing if pem == active_pem else load_private_key(pem)
        # The kid is the RFC 7638 thumbprint, the same value DOT puts in ID token headers.
        kid = private.thumbprint()
        if kid in public:
            continue
        public_key = jwk.JWK(**json.loads(private.export_public()))
        public[kid] = public_key
        entries.append({"alg": ALGORITHM, "use": "sig", "kid": kid, **json.loads(private.export_public())})
    return KeySet(signing_key=signing, kid=signing.thumbprint(), public=public, document={"keys": entries})


def keyset() -> KeySet:
    """The configured keys; ImproperlyConfigured when there is no active key."""
    active = oauth2_settings.OIDC_RSA_PRIVATE_KEY
    if not active:
        raise ImproperlyConfigured("OIDC_RSA_PRIVATE_KEY is not set (see docs/oauth.md).")
    return _build(active, tuple(oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE))
