"""client_credentials: the token carries the app's organization and its registered scopes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import time_machine
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone

from audit.models import AuditEvent
from oauth import services
from oauth.models import Application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("oauth.tests.company_api")]

CC = [Application.GRANT_CLIENT_CREDENTIALS]


def fetch(base: str, client_id: str, secret: str | None, **kwargs):  # type: ignore[no-untyped-def]
    with OAuth2Session(client_id, secret) as session:
        return session.fetch_token(f"{base}/o/token/", grant_type="client_credentials", **kwargs)


def test_client_credentials_token_carries_the_organization_and_registered_scopes(live_oauth, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:write", "customers:read"])
    token = fetch(live_oauth, app.client_id, secret)
    assert set(token["scope"].split()) == {"orders:write", "customers:read"}
    assert "refresh_token" not in token
    response = requests.get(
        f"{live_oauth}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["organization"] == org.slug and body["kind"] == "oauth_token" and body["user"] is None
    assert body["client_id"] == app.client_id and body["environment"] == "live"
    # Write implies read, as for API keys; and the write scope is held.
    created = requests.post(
        f"{live_oauth}/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert created.status_code == 201


def test_a_client_may_narrow_but_never_widen_its_scopes(live_oauth, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:write"])
    narrow = fetch(live_oauth, app.client_id, secret, scope="orders:read")
    assert narrow["scope"] == "orders:read"
    wide = requests.post(
        f"{live_oauth}/o/token/",
        data={"grant_type": "client_credentials", "scope": "customers:read"},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"


def test_wrong_secret_and_unregistered_grant_are_refused(live_oauth, make_app) -> None:  # type: ignore[no-untyped-def]
    cc_app, secret = make_app(grant_types=CC, redirect_uris=[])
    code_app, code_secret = make_app(name="Code only")
    bad = requests.post(
        f"{live_oauth}/o/token/", data={"grant_type": "client_credentials"}, auth=(cc_app.client_id, "nope"), timeout=10
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    unregistered = requests.post(
        f"{live_oauth}/o/token/",
        data={"grant_type": "client_credentials"},
        auth=(code_app.client_id, code_secret),
        timeout=10,
    )
    assert unregistered.status_code == 400 and unregistered.json()["error"] == "unauthorized_client"


def test_a_public_app_cannot_authenticate_with_an_empty_secret(live_oauth, make_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app(
        client_type=Application.CLIENT_PUBLIC, grant_types=[Application.GRANT_DEVICE_CODE], redirect_uris=[]
    )
    response = requests.post(
        f"{live_oauth}/o/token/",
        data={"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": ""},
        timeout=10,
    )
    assert response.status_code in (400, 401) and "access_token" not in response.text


def test_implicit_and_password_grants_are_refused(live_oauth, make_app, alice) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[])

    def password_grant() -> requests.Response:
        data = {"grant_type": "password", "username": "alice@example.com", "password": "correct-horse-battery-staple"}
        return requests.post(f"{live_oauth}/o/token/", data=data, auth=(app.client_id, secret), timeout=10)

    password = password_grant()
    assert password.status_code in (400, 401) and "access_token" not in password.text
    # Even an app someone forced into the implicit grant in the database cannot use it.
    Application.objects.filter(pk=app.pk).update(
        grant_types=["implicit", "password"], authorization_grant_type="implicit"
    )
    again = password_grant()
    assert again.status_code in (400, 401) and "access_token" not in again.text


def test_rotated_secret_keeps_the_old_one_working_only_for_the_grace_period(live_oauth, make_app, alice) -> None:  # type: ignore[no-untyped-def]
    app, old = make_app(grant_types=CC, redirect_uris=[])
    new = services.application_rotate_secret(application=app, actor=alice, grace=timedelta(hours=1))
    assert new != old
    assert fetch(live_oauth, app.client_id, new)["access_token"]
    assert fetch(live_oauth, app.client_id, old)["access_token"]
    assert AuditEvent.objects.filter(action="oauth_app.secret_rotated").count() == 1
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        late = requests.post(
            f"{live_oauth}/o/token/", data={"grant_type": "client_credentials"}, auth=(app.client_id, old), timeout=10
        )
        assert late.status_code == 401
        assert fetch(live_oauth, app.client_id, new)["access_token"]


def test_rotation_without_grace_stops_the_old_secret_at_once(live_oauth, make_app, alice) -> None:  # type: ignore[no-untyped-def]
    app, old = make_app(grant_types=CC, redirect_uris=[])
    services.application_rotate_secret(application=app, actor=alice)
    refused = requests.post(
        f"{live_oauth}/o/token/", data={"grant_type": "client_credentials"}, auth=(app.client_id, old), timeout=10
    )
    assert refused.status_code == 401


def test_whoami_describes_an_oauth_token(live_oauth, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    token = fetch(live_oauth, app.client_id, secret)
    response = requests.get(
        f"{live_oauth}/api/v1/whoami", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "oauth_token" and body["organization"] == org.slug
    assert body["scopes"] == ["orders:read"] and body["expires_at"]


def test_oauth_tokens_are_not_accepted_by_the_keys_management_api(live_oauth, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    token = fetch(live_oauth, app.client_id, secret)
    response = requests.get(
        f"{live_oauth}/api/v1/keys/", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert response.status_code == 401
