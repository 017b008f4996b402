"""The device authorization grant: a device asks, a signed-in person approves in the portal, the device polls."""

from __future__ import annotations

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from audit.models import AuditEvent
from conftest import login
from oauth.models import Application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("oauth.tests.company_api")]

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def start(base: str, client_id: str, scope: str = "orders:read") -> dict:
    response = requests.post(
        f"{base}/o/device-authorization/", data={"client_id": client_id, "scope": scope}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["Cache-Control"]
    return response.json()


def poll(base: str, client_id: str, device_code: str) -> requests.Response:
    return requests.post(
        f"{base}/o/token/", data={"grant_type": DEVICE, "device_code": device_code, "client_id": client_id}, timeout=10
    )


def test_device_flow_from_code_to_api_call(live_oauth, device_app, client, alice, org) -> None:  # type: ignore[no-untyped-def]
    grant = start(live_oauth, device_app.client_id)
    assert grant["verification_uri"].endswith("/device") and grant["interval"] == 5
    assert grant["verification_uri_complete"].endswith(f"user_code={grant['user_code']}")
    pending = poll(live_oauth, device_app.client_id, grant["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"

    # Alice types the code the way people do: lower case, with a dash.
    login(client, alice)
    typed = f"{grant['user_code'][:4].lower()}-{grant['user_code'][4:].lower()}"
    confirm = client.post("/device", {"user_code": typed})
    assert confirm.status_code == 200 and b"TV app" in confirm.content and b"Read orders" in confirm.content
    done = client.post("/device", {"user_code": typed, "decision": "approve"})
    assert done.status_code == 200 and b"is connected" in done.content
    assert AuditEvent.objects.filter(action="oauth_consent.given", metadata__grant="device_code").exists()

    # The device polls with a third-party client library.
    with OAuth2Session(device_app.client_id, token_endpoint_auth_method="none") as session:
        token = session.fetch_token(f"{live_oauth}/o/token/", grant_type=DEVICE, device_code=grant["device_code"])
    assert token["scope"] == "orders:read" and token["refresh_token"]
    api = requests.get(f"{live_oauth}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert api.status_code == 200 and api.json()["user"] == "alice@example.com"

    # A device code works once.
    again = poll(live_oauth, device_app.client_id, grant["device_code"])
    assert again.status_code == 400 and "access_token" not in again.text


def test_a_denied_device_gets_access_denied(live_oauth, device_app, client, alice) -> None:  # type: ignore[no-untyped-def]
    grant = start(live_oauth, device_app.client_id)
    login(client, alice)
    client.post("/device", {"user_code": grant["user_code"], "decision": "deny"})
    denied = poll(live_oauth, device_app.client_id, grant["device_code"])
    assert denied.status_code == 400 and denied.json()["error"] == "access_denied"


def test_another_client_cannot_redeem_someone_elses_device_code(
    live_oauth, device_app, make_app, client, alice
) -> None:  # type: ignore[no-untyped-def]
    thief, _ = make_app(
        client_type=Application.CLIENT_PUBLIC,
        grant_types=[Application.GRANT_DEVICE_CODE],
        redirect_uris=[],
        name="Thief",
    )
    grant = start(live_oauth, device_app.client_id)
    login(client, alice)
    client.post("/device", {"user_code": grant["user_code"], "decision": "approve"})
    stolen = poll(live_oauth, thief.client_id, grant["device_code"])
    assert stolen.status_code == 400 and "access_token" not in stolen.text
    # The rightful device still gets its token.
    assert poll(live_oauth, device_app.client_id, grant["device_code"]).status_code == 200


def test_device_authorization_refuses_bad_requests(live_oauth, device_app, make_app) -> None:  # type: ignore[no-untyped-def]
    code_app, _ = make_app(name="Web only")
    not_registered = requests.post(
        f"{live_oauth}/o/device-authorization/", data={"client_id": code_app.client_id}, timeout=10
    )
    assert not_registered.status_code == 400 and not_registered.json()["error"] == "unauthorized_client"
    wide = requests.post(
        f"{live_oauth}/o/device-authorization/",
        data={"client_id": device_app.client_id, "scope": "keys:manage"},
        timeout=10,
    )
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"
    unknown = requests.post(f"{live_oauth}/o/device-authorization/", data={"client_id": "nope"}, timeout=10)
    assert unknown.status_code in (400, 401)
    as_json = requests.post(
        f"{live_oauth}/o/device-authorization/", json={"client_id": device_app.client_id}, timeout=10
    )
    assert as_json.status_code == 400
    no_code = requests.post(
        f"{live_oauth}/o/token/", data={"grant_type": DEVICE, "client_id": device_app.client_id}, timeout=10
    )
    assert no_code.status_code == 400 and no_code.json()["error"] == "invalid_request"
    bogus = poll(live_oauth, device_app.client_id, "not-a-code")
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"
