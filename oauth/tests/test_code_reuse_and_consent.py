"""Issue 10: a replayed authorization code revokes what it bought; consent is always asked for."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from conftest import login
from oauth.models import Application, RedeemedCode
from oauth.tests.conftest import REDIRECT_URI, pkce_pair, query
from oauth.tests.helpers import basic
from oauth.tests.test_authorize_refusals import authorize_url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]


def consent(client, app: Application, verifier_challenge: tuple[str, str]) -> str:  # type: ignore[no-untyped-def]
    url = authorize_url(app, code_challenge=verifier_challenge[1])
    page = client.get(url)
    assert page.status_code == 200
    done = client.post(url, {**{k: v or "" for k, v in page.context["form"].initial.items()}, "allow": "Authorize"})
    return query(done["Location"])["code"]


def consented(client, alice, make_app) -> tuple[Application, str, str, str]:  # type: ignore[no-untyped-def]
    """A new app of Alice's team that Alice, logged in, consented to: (app, secret, code, PKCE verifier)."""
    app, secret = make_app()
    verifier, challenge = pkce_pair()
    login(client, alice)
    return app, secret, consent(client, app, (verifier, challenge)), verifier


def exchange(client, app: Application, secret: str, code: str, verifier: str):  # type: ignore[no-untyped-def]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=basic(app.client_id, secret))


def api(client, token: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code)


def test_a_replayed_code_revokes_every_token_issued_from_it(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret, code, verifier = consented(client, alice, make_app)
    first = exchange(client, app, secret, code, verifier).json()
    assert api(client, first["access_token"]) == 200
    # A refresh before the replay: its successor came from the code too, and must go as well.
    refreshed = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        HTTP_AUTHORIZATION=basic(app.client_id, secret),
    ).json()
    assert api(client, refreshed["access_token"]) == 200

    replay = exchange(client, app, secret, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    assert api(client, first["access_token"]) == 401
    assert api(client, refreshed["access_token"]) == 401
    again = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        HTTP_AUTHORIZATION=basic(app.client_id, secret),
    )
    assert again.status_code == 400 and "access_token" not in again.json()
    assert AuditEvent.objects.filter(action="oauth_code.reused", target_id=app.client_id).count() == 1
    assert not RedeemedCode.objects.filter(code_hash=code).exists()  # only its SHA-256 is stored


def test_a_code_used_once_leaves_its_tokens_alone(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret, code, verifier = consented(client, alice, make_app)
    token = exchange(client, app, secret, code, verifier).json()
    # An unknown code from the same client is no replay of this one.
    assert exchange(client, app, secret, "not-a-code", verifier).status_code == 400
    assert api(client, token["access_token"]) == 200


def test_approval_prompt_auto_cannot_skip_the_consent_screen(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret, code, verifier = consented(client, alice, make_app)
    token = exchange(client, app, secret, code, verifier)
    assert token.status_code == 200
    # Alice holds a live token for these scopes; REQUEST_APPROVAL_PROMPT="force" still asks her again.
    for prompt in ("auto", "force", ""):
        page = client.get(authorize_url(app, approval_prompt=prompt))
        assert page.status_code == 200 and b'name="allow"' in page.content, prompt
