"""JWTVerifier against a live platform: the JWKS with rotation, the claims, and the jti revocation list."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import requests
from jwcrypto import jwk, jws
from keyhouse_client import AuthenticationFailed, JWTVerifier

from oauth.signing_keys import generate_pem

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counted:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.client = httpx.Client(timeout=10, event_hooks={"request": [lambda r: self.paths.append(r.url.path)]})


@pytest.fixture
def verifier_key(make_key: Any) -> str:
    return str(make_key(name="Company API", scopes=["keys:verify"])[1])


@pytest.fixture
def app_credentials(client_credentials_app: tuple[str, str]) -> tuple[str, str]:
    return client_credentials_app


def token_for(url: str, credentials: tuple[str, str]) -> str:
    response = requests.post(f"{url}/o/token/", data={"grant_type": "client_credentials"}, auth=credentials, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def make(url: str, api_key: str, **kwargs: Any) -> tuple[JWTVerifier, Counted, Clock]:
    counted, clock = Counted(), Clock()
    verifier = JWTVerifier(base_url=url, api_key=api_key, client=counted.client, clock=clock, **kwargs)
    return verifier, counted, clock


def test_a_client_credentials_token_verifies_and_its_jti_answer_is_cached(
    live_platform: str, verifier_key: str, app_credentials: tuple[str, str], org: Any
) -> None:
    token = token_for(live_platform, app_credentials)
    verifier, counted, _ = make(live_platform, verifier_key, jti_ttl=60)
    credential = verifier.verify(token)
    assert credential.kind == "oauth_token" and credential.client_id == app_credentials[0]
    assert (
        credential.organization == org.pk and credential.allows("orders:read") and not credential.allows("orders:write")
    )
    verifier.verify(token)
    assert counted.paths == ["/o/.well-known/jwks.json", "/api/v1/oauth/jti-status"]


def test_a_revoked_token_is_refused_once_its_jti_answer_is_no_longer_cached(
    live_platform: str, verifier_key: str, app_credentials: tuple[str, str]
) -> None:
    token = token_for(live_platform, app_credentials)
    verifier, counted, _ = make(live_platform, verifier_key, jti_ttl=60)
    credential = verifier.verify(token)
    revoked = requests.post(f"{live_platform}/o/revoke_token/", data={"token": token}, auth=app_credentials, timeout=10)
    assert revoked.status_code == 200
    verifier.verify(token)  # still inside the jti_ttl bound
    verifier.forget(credential.id)
    with pytest.raises(AuthenticationFailed) as refused:
        verifier.verify(token)
    assert refused.value.code == "REVOKED"
    asked = counted.paths.count("/api/v1/oauth/jti-status")
    with pytest.raises(AuthenticationFailed):
        verifier.verify(token)
    assert counted.paths.count("/api/v1/oauth/jti-status") == asked  # "revoked" is remembered until expiry


def test_after_a_signing_key_rotation_an_unknown_kid_refetches_the_jwks_at_most_once_per_interval(
    live_platform: str, verifier_key: str, app_credentials: tuple[str, str], settings: Any, platform_signing_pem: str
) -> None:
    verifier, counted, clock = make(live_platform, verifier_key, refetch_interval=30, jti_ttl=0)
    verifier.verify(token_for(live_platform, app_credentials))
    new_pem = generate_pem(2048)
    settings.OIDC_RSA_PRIVATE_KEY = new_pem
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": new_pem,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [platform_signing_pem],
    }
    rotated = token_for(live_platform, app_credentials)
    clock.now += 10
    with pytest.raises(AuthenticationFailed, match="unknown kid"):
        verifier.verify(rotated)  # fetched 10 s ago: a made-up kid cannot force a refetch
    assert counted.paths.count("/o/.well-known/jwks.json") == 1
    clock.now += 30
    assert verifier.verify(rotated).client_id == app_credentials[0]
    assert counted.paths.count("/o/.well-known/jwks.json") == 2
    assert verifier.fetches == 2


def _forge(header: dict[str, Any], claims: dict[str, Any], key: jwk.JWK, alg: str = "RS256") -> str:
    token = jws.JWS(json.dumps(claims).encode())
    token.add_signature(key, alg=alg, protected=json.dumps(header))
    return str(token.serialize(compact=True))


def test_forged_and_wrong_tokens_are_refused(
    live_platform: str, verifier_key: str, app_credentials: tuple[str, str]
) -> None:
    good = token_for(live_platform, app_credentials)
    verifier, _, _ = make(live_platform, verifier_key, jti_ttl=0)
    verifier.verify(good)
    header = json.loads(jws.base64url_decode(good.split(".")[0]))
    claims = json.loads(jws.base64url_decode(good.split(".")[1]))
    attacker = jwk.JWK.generate(kty="RSA", size=2048)
    secret = jwk.JWK.generate(kty="oct", size=256)
    cases = {
        "bad signature": _forge(header, claims, attacker),
        "algorithm not allowed": _forge({**header, "alg": "HS256"}, claims, secret, alg="HS256"),
        "unexpected header fields": _forge({**header, "jku": "https://evil.example/jwks"}, claims, attacker),
        "typ is not at+jwt": _forge({**header, "typ": "JWT"}, claims, attacker),
        "not a compact JWS": good + ".x",
    }
    for reason, token in cases.items():
        with pytest.raises(AuthenticationFailed, match=re.escape(reason)):
            verifier.verify(token)
    other_audience, _, _ = make(live_platform, verifier_key, audience="https://other.example/api", jti_ttl=0)
    with pytest.raises(AuthenticationFailed, match="wrong audience"):
        other_audience.verify(good)
    other_issuer, _, _ = make(live_platform, verifier_key, issuer="https://other.example/o", jti_ttl=0)
    with pytest.raises(AuthenticationFailed, match="wrong issuer"):
        other_issuer.verify(good)


def test_tokens_signed_with_the_platforms_key_but_with_wrong_claims_are_refused(
    live_platform: str, verifier_key: str, app_credentials: tuple[str, str], platform_signing_pem: str
) -> None:
    good = token_for(live_platform, app_credentials)
    verifier, _, _ = make(live_platform, verifier_key, jti_ttl=0)
    header = json.loads(jws.base64url_decode(good.split(".")[0]))
    claims = json.loads(jws.base64url_decode(good.split(".")[1]))
    ours = jwk.JWK.from_pem(platform_signing_pem.encode())
    assert verifier.verify(_forge(header, claims, ours)).id == claims["jti"]  # the forging itself is sound
    cases = {
        "expired": {**claims, "exp": claims["iat"] - 1},
        "issued in the future": {**claims, "iat": claims["exp"] - 1, "exp": claims["exp"] + 3600},
        "missing claims": {k: v for k, v in claims.items() if k != "jti"},
        "scope is not a string": {**claims, "scope": ["orders:read"]},
        "certificate-bound token": {**claims, "cnf": {"x5t#S256": "abc"}},
    }
    for reason, changed in cases.items():
        with pytest.raises(AuthenticationFailed, match=re.escape(reason)):
            verifier.verify(_forge(header, changed, ours))
