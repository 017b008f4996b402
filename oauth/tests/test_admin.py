"""The admin shows apps with their organization and tokens without their values; revoking is audited."""

from __future__ import annotations

import pytest
from django.utils.html import escape
from oauth2_provider.models import AccessToken

from accounts.models import User
from audit.models import AuditEvent
from oauth.models import Application
from oauth.tests.helpers import cc_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    return User.objects.create_superuser("root@example.com", "a-long-admin-password-1")


def test_apps_are_listed_with_their_organization_and_no_secret(client, staff, make_app, org) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get("/admin/oauth/application/")
    assert listing.status_code == 200 and escape(org.name).encode() in listing.content
    change = client.get(f"/admin/oauth/application/{app.pk}/change/")
    assert change.status_code == 200
    assert secret.encode() not in change.content and app.client_secret.encode() not in change.content


def test_tokens_are_shown_without_values_and_revoked_with_an_audit_event(client, staff, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app(grant_types=[Application.GRANT_CLIENT_CREDENTIALS], redirect_uris=[])
    token = cc_token(client, app, secret)["access_token"]
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    row = AccessToken.objects.get()
    listing = client.get("/admin/oauth2_provider/accesstoken/")
    assert listing.status_code == 200 and token.encode() not in listing.content
    detail = client.get(f"/admin/oauth2_provider/accesstoken/{row.pk}/change/")
    assert (
        detail.status_code == 200
        and token.encode() not in detail.content
        and row.token_checksum.encode() not in detail.content
    )
    response = client.post(
        "/admin/oauth2_provider/accesstoken/", {"action": "revoke_tokens", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302 and not AccessToken.objects.exists()
    assert AuditEvent.objects.filter(action="oauth_token.revoked", actor=staff).exists()
    client.logout()
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
