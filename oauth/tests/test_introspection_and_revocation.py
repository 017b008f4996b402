"""Introspection (RFC 7662) only for resource servers; revocation (RFC 7009) only of a client's own tokens."""

from __future__ import annotations

import pytest

from oauth.models import Application
from oauth.tests.helpers import basic, cc_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]

CC = [Application.GRANT_CLIENT_CREDENTIALS]


@pytest.fixture
def worker(make_app):  # type: ignore[no-untyped-def]
    return make_app(name="Worker", grant_types=CC, redirect_uris=[], scopes=["orders:read"])


@pytest.fixture
def resource_server(make_app):  # type: ignore[no-untyped-def]
    app, secret = make_app(name="Orders API", grant_types=CC, redirect_uris=[], scopes=[])
    # Only an admin can make an app a resource server.
    Application.objects.filter(pk=app.pk).update(can_introspect=True)
    app.refresh_from_db()
    return app, secret


def test_a_resource_server_introspects_a_live_token(client, worker, resource_server, org) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    token = cc_token(client, app, secret)["access_token"]
    rs, rs_secret = resource_server
    response = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic(rs.client_id, rs_secret))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["active"] is True and body["scope"] == "orders:read" and body["client_id"] == app.client_id
    assert body["org"] == org.pk and body["token_type"] == "Bearer" and body["jti"] and body["exp"] > body["iat"]


def test_a_resource_server_may_also_introspect_with_its_own_bearer_token(client, worker, resource_server) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    token = cc_token(client, app, secret)["access_token"]
    rs, rs_secret = resource_server
    rs_token = cc_token(client, rs, rs_secret)["access_token"]
    response = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Bearer {rs_token}")
    assert response.status_code == 200 and response.json()["active"] is True


def test_introspection_is_refused_to_ordinary_clients_and_strangers(client, worker) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    token = cc_token(client, app, secret)["access_token"]
    own = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic(app.client_id, secret))
    assert own.status_code == 403 and own.json()["error"] == "unauthorized_client"
    with_token = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert with_token.status_code == 403
    anonymous = client.post("/o/introspect/", {"token": token})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    wrong = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic(app.client_id, "nope"))
    assert wrong.status_code == 401
    # GET would put tokens in URLs and logs.
    assert client.get("/o/introspect/", {"token": token}).status_code == 405


def test_introspection_reports_unknown_and_revoked_tokens_inactive(client, worker, resource_server) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    rs, rs_secret = resource_server
    auth = basic(rs.client_id, rs_secret)
    assert client.post("/o/introspect/", {"token": "nope"}, HTTP_AUTHORIZATION=auth).json() == {"active": False}
    token = cc_token(client, app, secret)["access_token"]
    client.post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic(app.client_id, secret))
    assert client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=auth).json() == {"active": False}
    assert client.post("/o/introspect/", {}, HTTP_AUTHORIZATION=auth).status_code == 400


def test_a_revoked_jwt_fails_on_the_very_next_request(client, worker) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    token = cc_token(client, app, secret)["access_token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/orders", **headers).status_code == 200
    revoked = client.post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic(app.client_id, secret))
    assert revoked.status_code == 200
    after = client.get("/orders", **headers)
    assert after.status_code == 401 and 'error="invalid_token"' in after["WWW-Authenticate"]


def test_a_client_cannot_revoke_another_clients_token(client, worker, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    other, other_secret = make_app(name="Other", grant_types=CC, redirect_uris=[])
    token = cc_token(client, app, secret)["access_token"]
    attempt = client.post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic(other.client_id, other_secret))
    # RFC 7009: the answer does not reveal whether the token exists; it simply stays valid.
    assert attempt.status_code == 200
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    unauthenticated = client.post("/o/revoke_token/", {"token": token})
    assert unauthenticated.status_code in (400, 401)
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
