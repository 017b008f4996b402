"""A guard for oauthlib upgrades: the token, introspect and revoke endpoints keep their wire contract.

If a new oauthlib (or DOT) changes status codes, error names, headers or field names on these
endpoints, this test fails before clients do.
"""

from __future__ import annotations

import pytest

from oauth.models import Application
from oauth.tests.helpers import basic

pytestmark = pytest.mark.django_db


def test_token_introspect_and_revoke_keep_their_contract(client, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=[Application.GRANT_CLIENT_CREDENTIALS], redirect_uris=[], scopes=["orders:read"])
    rs, rs_secret = make_app(name="RS", grant_types=[Application.GRANT_CLIENT_CREDENTIALS], redirect_uris=[], scopes=[])
    Application.objects.filter(pk=rs.pk).update(can_introspect=True)
    auth = basic(app.client_id, secret)

    token = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
    assert token.status_code == 200
    assert token["Content-Type"] == "application/json" and token["Cache-Control"] == "no-store"
    assert token["Pragma"] == "no-cache"
    body = token.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["scope"] == "orders:read"

    errors = {
        "unsupported_grant_type": client.post("/o/token/", {"grant_type": "magic"}, HTTP_AUTHORIZATION=auth),
        "invalid_client": client.post(
            "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, "x")
        ),
        "invalid_request": client.post("/o/token/", {"grant_type": "refresh_token"}, HTTP_AUTHORIZATION=auth),
        "invalid_scope": client.post(
            "/o/token/", {"grant_type": "client_credentials", "scope": "nope"}, HTTP_AUTHORIZATION=auth
        ),
    }
    for name, response in errors.items():
        assert response.json()["error"] == name, (name, response.content)
        assert response.status_code == (401 if name == "invalid_client" else 400), name

    introspected = client.post(
        "/o/introspect/", {"token": body["access_token"]}, HTTP_AUTHORIZATION=basic(rs.client_id, rs_secret)
    )
    assert introspected.status_code == 200
    assert {"active", "scope", "client_id", "exp", "iat", "token_type", "sub", "iss"} <= set(introspected.json())

    revoked = client.post(
        "/o/revoke_token/", {"token": body["access_token"], "token_type_hint": "access_token"}, HTTP_AUTHORIZATION=auth
    )
    assert revoked.status_code == 200 and revoked.content == b""
    unknown = client.post("/o/revoke_token/", {"token": "never-issued"}, HTTP_AUTHORIZATION=auth)
    assert unknown.status_code == 200
    after = client.post(
        "/o/introspect/", {"token": body["access_token"]}, HTTP_AUTHORIZATION=basic(rs.client_id, rs_secret)
    )
    assert after.json() == {"active": False}
