"""OAuth in Chromium: register an app in the portal, then sign in to it through the authorization-code
flow with PKCE (authlib builds the request and exchanges the code), and approve a device by its code."""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Page, Route, expect

from browser_tests.conftest import shoot
from browser_tests.portal import log_in, submit_new
from oauth.models import Application
from oauth.tests.conftest import REDIRECT_URI, pkce_pair

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def callback(route: Route) -> None:
    """The client's redirect URI answers inside the browser: the test opens no connection off loopback."""
    route.fulfill(status=200, content_type="text/plain", body="signed in")


def test_register_an_app_and_sign_in_with_authorization_code_and_pkce(
    page: Page, live_oauth: str, alice: Any, org: Any
) -> None:
    log_in(page, alice.email)
    submit_new(page, f"/orgs/{org.slug}/apps/new", "Acme dashboard", "Register app", {"Redirect URIs": REDIRECT_URI})
    client_id = page.locator("#client-id").input_value()
    client_secret = page.locator("#client-secret").input_value()
    assert Application.objects.get(client_id=client_id).name == "Acme dashboard"

    verifier, _ = pkce_pair()
    client = OAuth2Session(
        client_id,
        client_secret,
        redirect_uri=REDIRECT_URI,
        scope="orders:read",
        code_challenge_method="S256",
    )
    url, state = client.create_authorization_url(f"{live_oauth}/o/authorize/", code_verifier=verifier)
    page.route("https://client.example.com/**", callback)
    page.goto(url)
    expect(page.get_by_text("Acme dashboard").first).to_be_visible()
    shoot(page, "oauth-consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{REDIRECT_URI}**")
    assert f"state={state}" in page.url

    token = client.fetch_token(f"{live_oauth}/o/token/", authorization_response=page.url, code_verifier=verifier)
    client.close()
    assert token["scope"] == "orders:read" and token["access_token"]
    answer = requests.get(
        f"{live_oauth}/api/v1/whoami", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text


def test_a_device_is_approved_by_typing_its_code(page: Page, live_oauth: str, alice: Any, device_app: Any) -> None:
    app = device_app  # "TV app", public, the device grant only, orders:read
    grant = requests.post(
        f"{live_oauth}/o/device-authorization/", data={"client_id": app.client_id, "scope": "orders:read"}, timeout=10
    ).json()

    log_in(page, alice.email)
    page.goto("/device")
    page.get_by_label("Code").fill(f"{grant['user_code'][:4].lower()}-{grant['user_code'][4:].lower()}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("TV app").first).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("is connected")).to_be_visible()

    token = requests.post(
        f"{live_oauth}/o/token/",
        data={"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": app.client_id},
        timeout=10,
    )
    assert token.status_code == 200 and token.json()["scope"] == "orders:read"
