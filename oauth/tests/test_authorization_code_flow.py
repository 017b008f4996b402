"""A third-party client (authlib) completes authorization code + PKCE against the running server."""

from __future__ import annotations

import json

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet

from audit.models import AuditEvent
from oauth.models import Application
from oauth.tests.conftest import REDIRECT_URI, query

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("oauth.tests.company_api")]

SCOPE = "openid profile email orders:read"


def discovery(base: str) -> dict:
    return requests.get(f"{base}/o/.well-known/openid-configuration", timeout=10).json()


def authorize(oauth_client, browser, base, app, secret, *, scope=SCOPE):  # type: ignore[no-untyped-def]
    meta = discovery(base)
    client = oauth_client(app.client_id, secret, scope=scope, redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier = "v" * 20 + "a-verifier-of-the-right-length-0123456789"
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n-0S6")
    browser.login("alice@example.com")
    location = browser.consent(url)
    assert location.startswith(REDIRECT_URI)
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
    return client, meta, token, location


def test_code_flow_with_pkce_issues_verifiable_tokens_the_api_accepts(
    oauth_client, browser, live_oauth, make_app, org, alice
) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app()
    client, meta, token, location = authorize(oauth_client, browser, live_oauth, app, secret)
    # RFC 9207: the authorization response names the issuer.
    assert query(location)["iss"] == meta["issuer"]
    assert token["token_type"].lower() == "bearer" and token["expires_in"] == 900
    assert set(token["scope"].split()) == set(SCOPE.split())

    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    assert id_token.header["alg"] == "RS256"
    claims = id_token.claims
    assert claims["iss"] == meta["issuer"] and claims["aud"] == app.client_id and claims["nonce"] == "n-0S6"
    assert claims["sub"] == str(alice.pk) and claims["email"] == "alice@example.com"

    access = jwt.decode(token["access_token"], keys, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt" and access.header["kid"] in {k.kid for k in keys.keys}
    for claim in ("iss", "sub", "aud", "client_id", "scope", "jti", "iat", "exp"):
        assert claim in access.claims
    assert access.claims["client_id"] == app.client_id and access.claims["sub"] == str(alice.pk)
    assert access.claims["exp"] - access.claims["iat"] == 900

    api = requests.get(f"{live_oauth}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert api.status_code == 200, api.text
    assert api.json()["user"] == "alice@example.com" and api.json()["organization"] == org.slug
    write = requests.post(
        f"{live_oauth}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert write.status_code == 403 and "orders:write" in write.text

    userinfo = requests.get(
        meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert userinfo.status_code == 200 and userinfo.json()["email"] == "alice@example.com"
    assert AuditEvent.objects.filter(action="oauth_consent.given", actor=alice).exists()


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_family(
    oauth_client, browser, live_oauth, make_app
) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app()
    client, meta, first, _ = authorize(oauth_client, browser, live_oauth, app, secret)
    second = client.refresh_token(meta["token_endpoint"], refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert requests.get(f"{live_oauth}/orders", headers=headers, timeout=10).status_code == 200
    # The rotated-out access token stopped working with its refresh token.
    old = {"Authorization": f"Bearer {first['access_token']}"}
    assert requests.get(f"{live_oauth}/orders", headers=old, timeout=10).status_code == 401

    def refresh(refresh_token: str) -> requests.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return requests.post(meta["token_endpoint"], data=data, auth=(app.client_id, secret), timeout=10)

    # An attacker replays the first refresh token: refused, and the whole family dies.
    replay = refresh(first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    again = refresh(second["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert requests.get(f"{live_oauth}/orders", headers=headers, timeout=10).status_code == 401


def test_a_public_client_completes_the_flow_with_pkce_and_no_secret(
    oauth_client, browser, live_oauth, make_app
) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(client_type=Application.CLIENT_PUBLIC, redirect_uris=["http://127.0.0.1/callback"])
    assert secret is None
    meta = discovery(live_oauth)
    client = oauth_client(
        app.client_id,
        scope="orders:read",
        redirect_uri="http://127.0.0.1:53117/callback",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = "public-client-verifier-" + "x" * 30
    url, _ = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    browser.login("alice@example.com")
    # RFC 8252: a loopback redirect may use any port.
    location = browser.consent(url)
    assert location.startswith("http://127.0.0.1:53117/callback?")
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)
    assert token["scope"] == "orders:read" and "refresh_token" in token


def test_the_consent_screen_explains_every_scope(oauth_client, browser, live_oauth, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(scopes=["orders:write"])
    meta = discovery(live_oauth)
    client = oauth_client(app.client_id, secret, scope="openid email orders:write", redirect_uri=REDIRECT_URI)
    url, _ = client.create_authorization_url(
        meta["authorization_endpoint"],
        code_challenge=create_s256_code_challenge("x" * 43),
        code_challenge_method="S256",
    )
    browser.login("alice@example.com")
    page = browser.session.get(url, timeout=10)
    assert page.status_code == 200 and "Acme dashboard" in page.text
    for text in ("See your email address", "Create and change orders", "Confirm who you are"):
        assert text in page.text
    assert (
        "Content-Security-Policy" in page.headers
        and "https://client.example.com" in page.headers["Content-Security-Policy"]
    )
    assert json.dumps("no-store")[1:-1] in page.headers["Cache-Control"]
