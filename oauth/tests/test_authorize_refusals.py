"""The authorize endpoint refuses what RFC 9700 forbids, before anyone is asked to consent."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from conftest import login
from oauth.models import Application
from oauth.tests.conftest import REDIRECT_URI, pkce_pair, query
from oauth.tests.helpers import basic

pytestmark = pytest.mark.django_db


def authorize_url(app: Application, **overrides: str) -> str:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "orders:read",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return "/o/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def test_a_wrong_redirect_uri_shows_an_error_and_never_redirects(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, alice)
    for uri in (
        "https://evil.example/callback",
        REDIRECT_URI + "/extra",
        REDIRECT_URI + "?x=1",
        "http://client.example.com/callback",
    ):
        response = client.get(authorize_url(app, redirect_uri=uri))
        assert response.status_code == 400, uri
        assert b"can't be completed" in response.content


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"response_type": "id_token token", "scope": "openid"}, "unauthorized_client"),
        ({"scope": "keys:manage"}, "invalid_scope"),
    ],
)
def test_missing_or_plain_pkce_implicit_and_unregistered_scopes_are_refused(
    client, alice, make_app, overrides, error
) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, alice)
    response = client.get(authorize_url(app, **overrides))
    # Errors go back to the registered redirect URI (it is known to be the client's), never to a consent screen.
    assert response.status_code == 302, response.content[:300]
    answer = query(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI)
    assert answer["error"] == error and answer["state"] == "xyz"


def test_a_code_cannot_be_redeemed_without_the_matching_verifier(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, secret = make_app()
    verifier, challenge = pkce_pair()
    login(client, alice)
    url = authorize_url(app, code_challenge=challenge)
    page = client.get(url)
    assert page.status_code == 200
    form = {**page.context["form"].initial, "allow": "Authorize"}
    done = client.post(url, {k: v or "" for k, v in form.items()})
    code = query(done["Location"])["code"]
    token_data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    auth = basic(app.client_id, secret or "")
    missing = client.post("/o/token/", token_data, HTTP_AUTHORIZATION=auth)
    assert missing.status_code == 400 and "access_token" not in missing.json()
    wrong = client.post("/o/token/", {**token_data, "code_verifier": "x" * 50}, HTTP_AUTHORIZATION=auth)
    assert wrong.status_code == 400 and "access_token" not in wrong.json()


def test_someone_who_is_not_logged_in_is_sent_to_log_in(client, make_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    response = client.get(authorize_url(app))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_denying_consent_sends_access_denied_and_issues_nothing(client, alice, make_app) -> None:  # type: ignore[no-untyped-def]
    app, _ = make_app()
    login(client, alice)
    url = authorize_url(app)
    page = client.get(url)
    form = {k: v or "" for k, v in page.context["form"].initial.items()}
    response = client.post(url, form)
    assert query(response["Location"])["error"] == "access_denied"
