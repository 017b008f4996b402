"""Issue 10: hostile input at the OAuth endpoints and in JWTs gets a clean 4xx, never a 500."""

from __future__ import annotations

import json

import pytest
from jwcrypto.common import base64url_encode

from oauth.jwks import keyset
from oauth.models import Application
from oauth.tests.helpers import basic, cc_token
from oauth.tests.test_access_token_authentication import claims_of, forge, get
from oauth.tokens import InvalidToken, verify_access_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]

CC = [Application.GRANT_CLIENT_CREDENTIALS]


def unsigned(header: object, claims: object | None = None) -> str:
    parts = [base64url_encode(json.dumps(header)), base64url_encode(json.dumps(claims or {})), "c2ln"]
    return ".".join(parts)


@pytest.mark.parametrize("alg", [["RS256"], {"RS256": True}, {"alg": "RS256"}, 256, None, [["RS256"]]], ids=repr)
def test_a_jwt_whose_alg_is_not_a_string_gets_401(client, alg) -> None:  # type: ignore[no-untyped-def]
    client.raise_request_exception = False
    token = unsigned({"alg": alg, "typ": "at+jwt", "kid": keyset().kid})
    response = get(client, token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("field", ["typ", "kid"])
def test_other_header_fields_must_be_strings_too(field) -> None:  # type: ignore[no-untyped-def]
    header = {"alg": "RS256", "typ": "at+jwt", "kid": keyset().kid, field: {"x": [1]}}
    with pytest.raises(InvalidToken, match="strings"):
        verify_access_token(unsigned(header))


def test_a_jwt_nested_a_thousand_levels_deep_gets_401(client) -> None:  # type: ignore[no-untyped-def]
    client.raise_request_exception = False
    deep = "[" * 3000 + "]" * 3000
    token = ".".join([base64url_encode(deep), base64url_encode("{}"), "c2ln"])
    assert get(client, token).status_code == 401
    header = base64url_encode(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": keyset().kid}))
    assert get(client, ".".join([header, base64url_encode(deep), "c2ln"])).status_code == 401


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("value", [10**18, -(10**18), 2**63])
def test_a_signed_jwt_with_a_time_claim_far_out_of_range_gets_401(client, make_app, claim, value) -> None:  # type: ignore[no-untyped-def]
    client.raise_request_exception = False
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    claims = claims_of(cc_token(client, app, secret)["access_token"])
    token = forge({**claims, claim: value})
    response = get(client, token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"
    with pytest.raises(InvalidToken, match="out of range"):
        verify_access_token(token)


@pytest.mark.parametrize("path", ["/o/token/", "/o/introspect/", "/o/revoke_token/"])
@pytest.mark.parametrize("value", ["\xc3\xa9", "w6k=\xc3\xa9", "\u00e9:secret", "Zm9v\x80"])
def test_non_ascii_basic_credentials_are_a_401_not_a_500(client, path, value) -> None:  # type: ignore[no-untyped-def]
    client.raise_request_exception = False
    response = client.post(
        path, {"grant_type": "client_credentials", "token": "x"}, HTTP_AUTHORIZATION=f"Basic {value}"
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_failed_client_secrets_are_limited_per_client_id_from_any_address(client, make_app, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OAUTH_CLIENT_FAILURES_PER_MINUTE = 3
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    other, other_secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    codes = []
    for n in range(5):
        response = client.post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(app.client_id, "wrong"),
            REMOTE_ADDR=f"203.0.113.{n + 1}",  # a new address each time: the per-IP limit never trips
        )
        codes.append(response.status_code)
    assert codes == [401, 401, 401, 429, 429]
    assert response.json()["error"] == "slow_down" and int(response["Retry-After"]) > 0
    # The form-body client_id is counted under the same name.
    body = client.post(
        "/o/token/", {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "wrong"}
    )
    assert body.status_code == 429
    # The right secret still works (nobody can lock a client out), and other clients are untouched.
    assert cc_token(client, app, secret)["access_token"]
    assert cc_token(client, other, other_secret)["access_token"]
