"""Token helpers for tests that talk to the endpoints through Django's test client."""

from __future__ import annotations

import base64
from typing import Any

from oauth.models import Application


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def cc_token(client: Any, app: Application, secret: str, **data: str) -> dict[str, Any]:
    response = client.post(
        "/o/token/", {"grant_type": "client_credentials", **data}, HTTP_AUTHORIZATION=basic(app.client_id, secret)
    )
    assert response.status_code == 200, response.content
    return dict(response.json())
