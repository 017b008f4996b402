"""People see the apps they authorized, in plain words, and revoke them; the device page is theirs alone."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from oauth2_provider.models import AccessToken, DeviceGrant, RefreshToken

from audit.models import AuditEvent
from conftest import login

FORM = "application/x-www-form-urlencoded"
pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]


def device_token(client, app, person) -> dict:  # type: ignore[no-untyped-def]
    """Run the device flow for `person` through the endpoints and the portal page."""
    grant = client.post(
        "/o/device-authorization/", urlencode({"client_id": app.client_id, "scope": "orders:read"}), content_type=FORM
    ).json()
    login(client, person)
    client.post("/device", {"user_code": grant["user_code"], "decision": "approve"})
    client.logout()
    response = client.post(
        "/o/token/",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": grant["device_code"],
            "client_id": app.client_id,
        },
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_a_person_sees_what_they_authorized_and_revokes_it(client, device_app, alice) -> None:  # type: ignore[no-untyped-def]
    token = device_token(client, device_app, alice)
    login(client, alice)
    page = client.get("/account/authorized-apps/")
    assert page.status_code == 200 and b"TV app" in page.content and b"Read orders" in page.content
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}").status_code == 200
    revoke = client.post(f"/account/authorized-apps/{device_app.client_id}/revoke")
    assert revoke.status_code == 302
    assert not AccessToken.objects.exists() and not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert AuditEvent.objects.filter(action="oauth_consent.withdrawn", actor=alice).exists()
    client.logout()
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}").status_code == 401
    refresh = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "client_id": device_app.client_id},
    )
    assert refresh.status_code == 400


def test_nobody_else_sees_or_revokes_someone_elses_authorization(client, device_app, alice, bob, charlie) -> None:  # type: ignore[no-untyped-def]
    device_token(client, device_app, alice)
    for person in (bob, charlie):
        login(client, person)
        page = client.get("/account/authorized-apps/")
        assert page.status_code == 200 and b"TV app" not in page.content
        assert client.post(f"/account/authorized-apps/{device_app.client_id}/revoke").status_code == 404
    assert AccessToken.objects.filter(user=alice).count() == 1


def test_the_app_owner_sees_active_authorizations_and_counts(client, device_app, alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    device_token(client, device_app, bob)
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/apps/{device_app.client_id}/")
    assert page.status_code == 200 and b"bob@example.com" in page.content
    assert page.context["counts"] == {"access_tokens": 1, "client_tokens": 0, "refresh_tokens": 1, "people": 1}


def test_the_device_page_needs_a_login_and_a_valid_code(client, device_app, alice) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.get("/device?user_code=ABCD1234")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    login(client, alice)
    page = client.get("/device?user_code=ABCD1234")
    assert page.status_code == 200 and b'value="ABCD1234"' in page.content
    wrong = client.post("/device", {"user_code": "WRONG-CODE"})
    assert wrong.status_code == 200 and b"not valid or has expired" in wrong.content
    assert client.post("/device", {"user_code": ""}).status_code == 200
    assert client.post("/device", {"user_code": "x" * 500}).status_code == 200


def test_guessing_device_codes_is_rate_limited(client, device_app, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OAUTH_DEVICE_CODE_TRIES_PER_MINUTE = 3
    grant = client.post(
        "/o/device-authorization/", urlencode({"client_id": device_app.client_id}), content_type=FORM
    ).json()
    login(client, alice)
    for _ in range(3):
        client.post("/device", {"user_code": "GUESS123"})
    blocked = client.post("/device", {"user_code": grant["user_code"], "decision": "approve"})
    assert b"Too many tries" in blocked.content
    assert DeviceGrant.objects.get().status == DeviceGrant.AUTHORIZATION_PENDING


def test_a_decided_code_cannot_be_decided_again(client, device_app, alice, bob) -> None:  # type: ignore[no-untyped-def]
    grant = client.post(
        "/o/device-authorization/", urlencode({"client_id": device_app.client_id}), content_type=FORM
    ).json()
    login(client, alice)
    client.post("/device", {"user_code": grant["user_code"], "decision": "deny"})
    login(client, bob)
    again = client.post("/device", {"user_code": grant["user_code"], "decision": "approve"})
    assert b"not valid or has expired" in again.content
    assert DeviceGrant.objects.get().status == DeviceGrant.DENIED
