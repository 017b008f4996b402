"""The public revoke takes OAuth tokens with RFC 7009 semantics: an access or a refresh token, the hint only
says where to look first, and the answer is the one every other credential gets."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from audit.models import AuditEvent
from lib.tests.answers import answer
from oauth.models import Application
from oauth.tests.helpers import cc_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]

URL = "/api/v1/credentials/revoke"
CC = [Application.GRANT_CLIENT_CREDENTIALS]


@pytest.fixture
def worker(make_app):  # type: ignore[no-untyped-def]
    return make_app(name="Worker", grant_types=CC, redirect_uris=[], scopes=["orders:read"])


def test_a_leaked_access_token_stops_working_and_is_recorded(client, api, worker) -> None:  # type: ignore[no-untyped-def]
    app, secret = worker
    token = cc_token(client, app, secret)["access_token"]
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    real = answer(api.post(URL, {"key": token, "token_type_hint": "access_token"}, format="json"))
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    made_up = answer(api.post(URL, {"key": secrets.token_urlsafe(30)}, format="json"))
    assert real == made_up and real[0] == 200
    leak = AuditEvent.objects.get(action="key.leaked")
    assert leak.target_type == "oauth_access_token" and leak.metadata["key"]["client_id"] == app.client_id
    assert token not in str(leak.metadata)
    assert AuditEvent.objects.filter(action="oauth_token.revoked").count() == 1


def test_a_refresh_token_is_found_even_with_the_wrong_hint_and_its_access_token_goes_too(api, worker, alice) -> None:  # type: ignore[no-untyped-def]
    app, _ = worker
    access = get_access_token_model().objects.create(
        user=alice,
        application=app,
        token=secrets.token_urlsafe(30),
        scope="orders:read",
        expires=timezone.now() + timedelta(hours=1),
    )
    raw_refresh = secrets.token_urlsafe(30)
    refresh = get_refresh_token_model().objects.create(
        user=alice, application=app, token=raw_refresh, access_token=access
    )
    response = api.post(URL, {"key": raw_refresh, "token_type_hint": "access_token"}, format="json")
    assert response.status_code == 200
    refresh.refresh_from_db()
    assert refresh.revoked is not None
    assert not get_access_token_model().objects.filter(pk=access.pk).exists()
    assert AuditEvent.objects.get(action="key.leaked").target_type == "oauth_refresh_token"
    again = api.post(URL, {"key": raw_refresh, "token_type_hint": "refresh_token"}, format="json")
    assert answer(again) == answer(response)
    assert AuditEvent.objects.filter(action="key.leaked").count() == 1
