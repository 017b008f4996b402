"""Registering and managing OAuth apps in the portal: the owner/member/viewer/outsider matrix and the rules."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from audit.models import AuditEvent
from conftest import PASSWORD, login
from oauth.models import Application, IssuedJWT
from oauth.tests.helpers import cc_token
from webhooks.models import Endpoint, Message

pytestmark = pytest.mark.django_db

CREATE = {
    "name": "Acme dashboard",
    "client_type": "confidential",
    "grant_types": ["authorization-code", "client-credentials"],
    "redirect_uris": "https://app.example.com/callback\nhttp://localhost:8765/cb",
    "homepage_url": "https://app.example.com",
    "logo_url": "https://cdn.example.com/logo.png",
    "scope__orders": "write",
    "scope__customers": "read",
}


def pages(org, app):  # type: ignore[no-untyped-def]
    base = f"/orgs/{org.slug}/apps/"
    return {
        "list": base,
        "new": f"{base}new",
        "detail": f"{base}{app.client_id}/",
        "edit": f"{base}{app.client_id}/edit",
    }


@pytest.mark.parametrize(
    ("who", "list_", "new", "detail", "edit"),
    [
        ("alice", 200, 200, 200, 200),
        ("bob", 200, 200, 200, 200),
        ("vera", 200, 403, 200, 403),
        ("charlie", 404, 404, 404, 404),
    ],
)
def test_page_access_matrix(client, make_app, org, alice, bob, vera, charlie, who, list_, new, detail, edit) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, {"alice": alice, "bob": bob, "vera": vera, "charlie": charlie}[who])
    urls = pages(org, app)
    assert client.get(urls["list"]).status_code == list_
    assert client.get(urls["new"]).status_code == new
    assert client.get(urls["detail"]).status_code == detail
    assert client.get(urls["edit"]).status_code == edit


@pytest.mark.parametrize(("who", "status"), [("vera", 403), ("charlie", 404)])
def test_viewers_and_outsiders_cannot_change_anything(client, make_app, org, vera, charlie, who, status) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, {"vera": vera, "charlie": charlie}[who])
    base = f"/orgs/{org.slug}/apps/{app.client_id}"
    assert client.post(f"/orgs/{org.slug}/apps/new", CREATE, follow=True).status_code == status
    assert client.post(f"{base}/edit", {**CREATE, "name": "Hijacked"}).status_code == status
    assert client.post(f"{base}/rotate-secret", {"grace": "0"}, follow=True).status_code == status
    assert client.post(f"{base}/delete", {}).status_code == status
    app.refresh_from_db()
    assert app.name == "Acme dashboard" and Application.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    for url in pages(org, app).values():
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_developer_registers_an_app_and_sees_the_secret_once(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    endpoint_events = Message.objects.count()
    login(client, bob)
    response = client.post(f"/orgs/{org.slug}/apps/new", CREATE, follow=True)
    assert response.status_code == 200, response.content[:400]
    assert "no-store" in response["Cache-Control"]
    app = Application.objects.get()
    secret = response.context["secret"]
    assert secret and secret.encode() in response.content
    # Stored only as a fast salted hash, never in clear.
    assert app.client_secret.startswith("oauth-hmac-sha256$") and secret not in app.client_secret
    assert check_password(secret, app.client_secret)
    assert app.organization == org and app.created_by == bob
    assert app.grant_types == ["authorization-code", "client-credentials"]
    assert app.redirect_uri_list == ["https://app.example.com/callback", "http://localhost:8765/cb"]
    assert app.allowed_scopes == ["orders:write", "customers:read"]
    assert app.algorithm == "RS256" and not app.can_introspect
    event = AuditEvent.objects.get(action="oauth_app.created")
    assert event.actor == bob and secret not in str(event.metadata)
    detail = client.get(f"/orgs/{org.slug}/apps/{app.client_id}/")
    assert detail.status_code == 200 and secret.encode() not in detail.content
    assert "https://cdn.example.com" in detail["Content-Security-Policy"]
    # No webhook endpoint subscribes here, so nothing is stored for delivery.
    assert Message.objects.count() == endpoint_events and not Endpoint.objects.exists()


def test_a_public_app_gets_no_secret_and_cannot_use_client_credentials(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    refused = client.post(f"/orgs/{org.slug}/apps/new", {**CREATE, "client_type": "public"}, follow=True)
    assert refused.status_code == 200 and b"only confidential apps" in refused.content
    assert not Application.objects.exists()
    ok = client.post(
        f"/orgs/{org.slug}/apps/new",
        {**CREATE, "client_type": "public", "grant_types": ["authorization-code"]},
        follow=True,
    )
    assert ok.status_code == 200 and ok.context["secret"] is None
    app = Application.objects.get()
    assert app.client_secret == "" and app.is_public


def test_creating_a_confidential_app_asks_for_the_password(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    refused = client.post(f"/orgs/{org.slug}/apps/new", CREATE)
    assert refused.status_code == 200 and b"Confirm your password" in refused.content
    assert not Application.objects.exists()
    ok = client.post(f"/orgs/{org.slug}/apps/new", {**CREATE, "password": PASSWORD}, follow=True)
    assert ok.status_code == 200 and Application.objects.count() == 1


@pytest.mark.parametrize(
    ("uris", "message"),
    [
        ("http://app.example.com/cb", b"http is only allowed for localhost"),
        ("https://*.example.com/cb", b"wildcards are not allowed"),
        ("https://app.example.com/cb#frag", b"cannot have a fragment"),
        ("https://user:pw@app.example.com/cb", b"cannot carry credentials"),
        ("javascript:alert(1)", b"use an absolute https:// URL"),
        ("com.example.app:/callback", b"use an absolute https:// URL"),
        ("", b"needs at least one redirect URI"),
        ("https://app.example.com:99999/cb", b"not a valid URL"),
    ],
)
def test_redirect_uris_are_validated(client, alice, org, uris, message) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/apps/new", {**CREATE, "redirect_uris": uris})
    assert response.status_code == 200 and message in response.content, response.content[-3000:]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"grant_types": ["implicit"]},
        {"grant_types": ["password"]},
        {"grant_types": []},
        {"client_type": "sideways"},
        {"logo_url": "http://cdn.example.com/logo.png"},
        {"homepage_url": "javascript:alert(1)"},
        {"scope__orders": "admin"},
        {"name": "<script>alert(1)</script>", "redirect_uris": "https://a.example/'\"><x"},
    ],
)
def test_bad_input_gets_a_form_error_never_a_500(client, alice, org, payload) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/apps/new", {**CREATE, **payload}, follow=True)
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_editing_changes_the_app_and_is_audited(client, alice, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, alice)
    response = client.post(
        f"/orgs/{org.slug}/apps/{app.client_id}/edit",
        {
            **CREATE,
            "name": "Renamed",
            "grant_types": ["authorization-code", "urn:ietf:params:oauth:grant-type:device_code"],
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.name == "Renamed" and "urn:ietf:params:oauth:grant-type:device_code" in app.grant_types
    event = AuditEvent.objects.get(action="oauth_app.updated")
    assert "name" in event.metadata["changed"]


def test_rotating_the_secret_shows_the_new_one_once(client, alice, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, old = make_app()
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/apps/{app.client_id}/rotate-secret", {"grace": "3600"}, follow=True)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = response.context["secret"]
    app.refresh_from_db()
    assert new != old and check_password(new, app.client_secret) and app.previous_secret_valid()
    assert AuditEvent.objects.filter(action="oauth_app.secret_rotated").count() == 1
    fresh = login(Client(), alice, sudo=False)
    refused = fresh.post(f"/orgs/{org.slug}/apps/{app.client_id}/rotate-secret", {"grace": "0"})
    assert refused.status_code == 302
    app.refresh_from_db()
    assert check_password(new, app.client_secret)


@pytest.mark.urls("oauth.tests.company_api")
def test_deleting_an_app_revokes_its_tokens(client, alice, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=["client-credentials"], redirect_uris=[])
    token = cc_token(client, app, secret)["access_token"]
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/apps/{app.client_id}/delete", {})
    assert response.status_code == 302
    assert not Application.objects.exists() and not IssuedJWT.objects.exists()
    client.logout()
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    event = AuditEvent.objects.get(action="oauth_app.deleted")
    assert event.metadata["revoked"]["access_tokens"] == 1


def test_a_webhook_endpoint_hears_about_new_apps_and_rotations(alice, org, make_app) -> None:  # type: ignore[no-untyped-def]
    from oauth import services

    Endpoint.objects.create(
        organization=org,
        url="https://hooks.example.com/in",
        event_types=["oauth_app.created", "oauth_app.secret_rotated"],
    )
    app, secret = make_app()
    services.application_rotate_secret(application=app, actor=alice)
    types = list(Message.objects.values_list("event_type", flat=True))
    assert sorted(types) == ["oauth_app.created", "oauth_app.secret_rotated"]
    assert all(secret not in m.payload for m in Message.objects.all())
