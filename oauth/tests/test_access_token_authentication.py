"""AccessTokenAuthentication: our JWTs offline and DOT's opaque tokens, strictly, with HasScopes."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jwcrypto import jwk, jws
from jwcrypto.common import base64url_encode

from oauth.jwks import keyset
from oauth.models import Application
from oauth.tests.helpers import cc_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]

CC = [Application.GRANT_CLIENT_CREDENTIALS]


@pytest.fixture
def token(client, make_app):  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    return cc_token(client, app, secret)["access_token"]


def get(client, token: str):  # type: ignore[no-untyped-def]
    return client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}")


def forge(claims: dict, *, header: dict | None = None, key: jwk.JWK | None = None, alg: str = "RS256") -> str:
    keys = keyset()
    head = header or {"alg": alg, "typ": "at+jwt", "kid": keys.kid}
    signer = jws.JWS(json.dumps(claims).encode())
    signer.add_signature(key or keys.signing_key, alg=alg, protected=json.dumps(head))
    return str(signer.serialize(compact=True))


def claims_of(token: str) -> dict:
    from jwcrypto.common import base64url_decode

    return dict(json.loads(base64url_decode(token.split(".")[1])))


def test_a_valid_jwt_is_checked_without_any_database_query(client, token) -> None:  # type: ignore[no-untyped-def]
    from oauth.authentication import AccessTokenAuthentication

    class Request:
        META = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    with CaptureQueriesContext(connection) as queries:
        user, credential = AccessTokenAuthentication().authenticate(Request())  # type: ignore[arg-type, misc]
        assert credential.allows("orders:read") and not credential.allows("orders:write")
        assert credential.kind == "oauth_token" and credential.environment == "live"
    assert len(queries) == 0


def test_an_expired_token_gets_401(client, token) -> None:  # type: ignore[no-untyped-def]
    assert get(client, token).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        response = get(client, token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_gets_403_naming_it(client, token) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/orders", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert (
        response.json()["error"]["code"] == "insufficient_scope"
        and "orders:write" in response.json()["error"]["message"]
    )


def test_dot_opaque_tokens_are_accepted_too(client, make_app, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ACCESS_TOKEN_GENERATOR": None}
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    opaque = cc_token(client, app, secret)["access_token"]
    assert opaque.count(".") != 2
    response = get(client, opaque)
    assert response.status_code == 200 and response.json()["client_id"] == app.client_id
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert get(client, opaque).status_code == 401
    assert get(client, opaque + "x").status_code == 401


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong_issuer",
        "wrong_audience",
        "alg_none",
        "hs256_with_public_key",
        "typ_jwt",
        "unknown_kid",
        "embedded_jwk",
        "bad_signature",
        "missing_jti",
        "string_exp",
        "future_iat",
        "foreign_key",
    ],
)
def test_tampered_or_foreign_jwts_get_401(client, token, tamper) -> None:  # type: ignore[no-untyped-def]
    claims = claims_of(token)
    keys = keyset()
    head = {"alg": "RS256", "typ": "at+jwt", "kid": keys.kid}
    if tamper == "wrong_issuer":
        forged = forge({**claims, "iss": "https://evil.example/o"})
    elif tamper == "wrong_audience":
        forged = forge({**claims, "aud": "https://other.example/api"})
    elif tamper == "alg_none":
        part = lambda d: base64url_encode(json.dumps(d))  # noqa: E731
        forged = f"{part({'alg': 'none', 'typ': 'at+jwt', 'kid': keys.kid})}.{part(claims)}."
    elif tamper == "hs256_with_public_key":
        public_pem = keys.signing_key.export_to_pem(private_key=False)
        forged = forge(
            claims, key=jwk.JWK(kty="oct", k=base64url_encode(public_pem)), alg="HS256", header={**head, "alg": "HS256"}
        )
    elif tamper == "typ_jwt":
        forged = forge(claims, header={**head, "typ": "JWT"})
    elif tamper == "unknown_kid":
        forged = forge(claims, header={**head, "kid": "nope"})
    elif tamper == "embedded_jwk":
        forged = forge(claims, header={**head, "jwk": json.loads(keys.signing_key.export_public())})
    elif tamper == "bad_signature":
        a, b, c = token.split(".")
        forged = f"{a}.{base64url_encode(json.dumps({**claims, 'scope': 'orders:write'}))}.{c}"
    elif tamper == "missing_jti":
        forged = forge({k: v for k, v in claims.items() if k != "jti"})
    elif tamper == "string_exp":
        forged = forge({**claims, "exp": str(claims["exp"])})
    elif tamper == "future_iat":
        forged = forge({**claims, "iat": int(time.time()) + 3600})
    else:
        stranger = jwk.JWK.generate(kty="RSA", size=2048)
        forged = forge(claims, key=stranger)
    assert get(client, forged).status_code == 401


@pytest.mark.parametrize(
    "value", ["Bearer", "Bearer  ", "Bearer a b", "Bearer eyJ.eyJ.", "Bearer " + "eyJ" * 4000, "Bearer é"]
)
def test_malformed_bearer_values_get_a_clean_answer(client, value) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/orders", HTTP_AUTHORIZATION=value)
    assert response.status_code == 401


def test_tokens_signed_with_a_rotated_out_key_verify_while_it_stays_in_the_jwks(
    client, token, settings, oidc_key, old_oidc_key
) -> None:  # type: ignore[no-untyped-def]
    # Rotation: a new key becomes active; the previous one moves to the inactive list.
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": old_oidc_key,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [oidc_key],
    }
    jwks = client.get("/o/.well-known/jwks.json").json()
    assert len(jwks["keys"]) == 2 and all(k["alg"] == "RS256" and "d" not in k for k in jwks["keys"])
    assert get(client, token).status_code == 200
    # Once the old key leaves the JWKS, its tokens stop verifying.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEYS_INACTIVE": []}
    assert get(client, token).status_code == 401


def test_api_keys_are_left_to_their_own_class(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/orders", HTTP_AUTHORIZATION="Bearer ak_test_whatever")
    # Not ours, and the view has no other class: unauthenticated, not a crash.
    assert response.status_code in (401, 403)
