"""OAuth tokens issued are counted by grant, and requests with them by the authentication hook."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from prometheus_client import REGISTRY

from oauth.models import Application

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_client_credentials_token_is_counted_and_so_is_its_use(client: Any, make_app: Any) -> None:
    app, secret = make_app(grant_types=[Application.GRANT_CLIENT_CREDENTIALS], redirect_uris=[])
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    before = sample("keyhouse_oauth_tokens_issued_total", grant="client_credentials")
    used = sample("keyhouse_verifications_total", kind="oauth_token", outcome="valid")
    response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    assert sample("keyhouse_oauth_tokens_issued_total", grant="client_credentials") == before + 1
    refused = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION="Basic eDp5")
    assert refused.status_code == 401
    assert sample("keyhouse_oauth_tokens_issued_total", grant="client_credentials") == before + 1
    token = response.json()["access_token"]
    assert client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert sample("keyhouse_verifications_total", kind="oauth_token", outcome="valid") == used + 1
