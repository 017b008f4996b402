"""A member who leaves a team loses their OAuth access to its apps: tokens, refresh tokens and JWTs."""

from __future__ import annotations

import pytest
from oauth2_provider.models import AccessToken, RefreshToken

from accounts.departures import membership_remove
from accounts.models import Membership
from audit.models import AuditEvent
from oauth.tests.test_authorized_apps_and_device_page import device_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]


def test_removing_a_member_revokes_their_tokens_for_the_teams_apps(client, device_app, alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    bobs = device_token(client, device_app, bob)
    alices = device_token(client, device_app, alice)
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {bobs['access_token']}").status_code == 200
    owner = Membership.objects.get(user=alice, organization=org)
    membership_remove(by=owner, target=Membership.objects.get(user=bob, organization=org))
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {bobs['access_token']}").status_code == 401
    refresh = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": bobs["refresh_token"], "client_id": device_app.client_id},
    )
    assert refresh.status_code == 400
    assert not AccessToken.objects.filter(user=bob).exists()
    assert not RefreshToken.objects.filter(user=bob, revoked__isnull=True).exists()
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {alices['access_token']}").status_code == 200
    removed = AuditEvent.objects.get(action="membership.removed")
    assert removed.metadata["oauth_tokens_revoked"] >= 1
    assert AuditEvent.objects.filter(action="oauth_consent.withdrawn", target_id=str(bob.pk)).exists()
