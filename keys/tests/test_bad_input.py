"""However malformed or oversized the input, the answer is a clear 4xx (or a normal page), never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from conftest import login

pytestmark = pytest.mark.django_db

NASTY = [
    "\x00",
    "%00",
    "' OR 1=1 --",
    "{{ 7*7 }}",
    "{% debug %}",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "é" * 5000,
    "x" * 70000,
]


def test_nasty_query_parameters_on_portal_and_api(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, alice)
    for value in NASTY:
        for path in (
            f"/orgs/{org.slug}/keys/",
            f"/orgs/{org.slug}/audit/",
            "/api/v1/keys/",
        ):
            for param in ("q", "status", "environment", "page", "search", "action", "organization"):
                response = client.get(path, {param: value})
                assert response.status_code < 500, (path, param, value[:20])
        assert client.get(f"/orgs/{org.slug}/keys/{value[:60]}/").status_code in (400, 404)
        assert client.get(f"/api/v1/keys/{value[:60]}").status_code in (400, 404)


def test_nasty_form_fields_get_form_errors(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    for value in NASTY:
        response = client.post(
            f"/orgs/{org.slug}/keys/new",
            {
                "name": value,
                "environment": value,
                "expiry": value,
                "allowed_networks": value,
                "rate_limit": value,
                "scope__orders": value,
            },
        )
        assert response.status_code == (400 if "\x00" in value else 200), value[:20]
        for path, data in (
            ("/signup/", {"email": value, "password": value, "name": value}),
            ("/login/", {"username": value, "password": value}),
            ("/password-reset/", {"email": value}),
            ("/orgs/", {"name": value}),
        ):
            assert client.post(path, data).status_code < 500, (path, value[:20])
        login(client, alice)


def test_nasty_json_bodies_get_400(alice, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["keys:manage", "keys:verify", "orders:read"])
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    bodies = [
        {"name": "\x00", "scopes": ["orders:read"]},
        {"name": ["list"], "scopes": ["orders:read"]},
        {"name": "ok", "scopes": [{"a": 1}]},
        {"name": "ok", "scopes": ["orders:read"], "expires_at": "not a date"},
        {"name": "ok", "scopes": ["orders:read"], "metadata": "string"},
        {"name": "ok", "scopes": ["orders:read"], "metadata": {"big": "x" * 5000}},
        {"name": "ok", "scopes": ["orders:read"], "allowed_networks": ["::1/200"]},
        {"name": "ok", "scopes": ["orders:read"], "rate_limit": 10**12},
    ]
    for body in bodies:
        response = api.post("/api/v1/keys/", body, format="json")
        assert response.status_code == 400, (body, response.content[:200])
        assert response.json()["error"]["code"] == "invalid_request"
    assert api.post("/api/v1/verify", {"key": "\x00"}, format="json").status_code == 400
    assert api.post("/api/v1/verify", {"key": "x" * 10000}, format="json").status_code == 400
    assert api.post("/api/v1/keys/", "[1,2]", content_type="application/json").status_code == 400
    assert api.post("/api/v1/keys/", "name=x", content_type="application/x-www-form-urlencoded").status_code == 415


def test_nul_in_metadata_and_paths_is_refused(make_key, client) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["keys:manage", "orders:read"])
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=plaintext)
    response = api.post(
        "/api/v1/keys/", {"name": "ok", "scopes": ["orders:read"], "metadata": {"a": "\x00"}}, format="json"
    )
    assert response.status_code == 400 and "NUL" in str(response.json()["error"]["detail"])
    nul_path = api.get("/api/v1/keys/?search=%00")
    assert nul_path.status_code == 400 and nul_path.json()["error"]["code"] == "malformed_request"
    assert client.post("/login/", {"username": "a\x00@example.com", "password": "x"}).status_code == 400
