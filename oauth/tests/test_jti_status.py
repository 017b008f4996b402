"""POST /api/v1/oauth/jti-status: the JWT revocation list for resource servers that check tokens offline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import key_client
from keys.services import key_revoke
from oauth.tokens import revoke_jti

URL = "/api/v1/oauth/jti-status"


@pytest.fixture
def verifier(make_key: Any) -> tuple[Any, str]:
    return make_key(name="Company API", scopes=["keys:verify"])  # type: ignore[no-any-return]


def test_it_lists_the_revoked_jtis_among_those_asked(verifier: tuple[Any, str]) -> None:
    revoke_jti("gone", datetime.now(tz=UTC) + timedelta(minutes=5))
    response = key_client(verifier[1]).post(URL, {"jti": ["alive", "gone", "gone"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"revoked": ["gone"]}
    assert response["Cache-Control"] == "no-store"


def test_a_jti_whose_token_has_expired_anyway_is_no_longer_listed(verifier: tuple[Any, str]) -> None:
    revoke_jti("old", datetime.now(tz=UTC) - timedelta(minutes=5))
    assert key_client(verifier[1]).post(URL, {"jti": ["old"]}, format="json").json() == {"revoked": []}


def test_a_caller_without_keys_verify_gets_403_naming_it(make_key: Any) -> None:
    _, plaintext = make_key(scopes=["orders:read"])
    response = key_client(plaintext).post(URL, {"jti": ["a"]}, format="json")
    assert response.status_code == 403 and "keys:verify" in response.content.decode()


def test_no_credential_or_a_revoked_one_gets_401(api: Any, verifier: tuple[Any, str], alice: Any) -> None:
    assert api.post(URL, {"jti": ["a"]}, format="json").status_code == 401
    key_revoke(key=verifier[0], actor=alice)
    response = key_client(verifier[1]).post(URL, {"jti": ["a"]}, format="json")
    assert response.status_code == 401 and "WWW-Authenticate" in response


@pytest.mark.parametrize(
    "body",
    [{}, {"jti": []}, {"jti": "a"}, {"jti": ["x" * 65]}, {"jti": ["a"] * 101}, {"jti": [1, None]}],
)
def test_bad_input_gets_a_clear_400(verifier: tuple[Any, str], body: dict[str, Any]) -> None:
    response = key_client(verifier[1]).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("raw", [b'{"jti": ["\\ud800"]}', b'{"jti": ["\xff"]}', b"not json"])
def test_invalid_unicode_or_json_gets_a_clear_400(verifier: tuple[Any, str], raw: bytes) -> None:
    response = key_client(verifier[1]).post(URL, raw, content_type="application/json")
    assert response.status_code == 400, response.content
