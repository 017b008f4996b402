from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keys.services import key_disable, key_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.company_api")]

GENERIC = "Invalid or inactive API key."


def assert_401(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.content
    assert response.json()["error"] == {"code": "authentication_failed", "message": GENERIC, "detail": None}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bearer_and_x_api_key_both_work(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    assert api.get("/orders", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200


def test_no_credential_gets_401_with_www_authenticate(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/orders")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_missing_scope_gets_403_naming_it(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["orders:read"])
    response = api.post("/orders", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "orders:write" in error["message"] and error["detail"] == {"missing_scopes": ["orders:write"]}


def test_write_scope_implies_read(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["orders:write"])
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert api.post("/orders", {}, format="json", HTTP_X_API_KEY=plaintext).status_code == 201


def test_revoked_key_fails_on_the_very_next_request(api, make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    key_revoke(key=key, actor=alice)
    assert_401(api.get("/orders", HTTP_X_API_KEY=plaintext))


def test_disabled_key_gets_401(api, make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    key_disable(key=key, actor=alice)
    assert_401(api.get("/orders", HTTP_X_API_KEY=plaintext))


def test_expired_key_gets_401(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(expires_at=timezone.now() + timedelta(minutes=1))
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert_401(api.get("/orders", HTTP_X_API_KEY=plaintext))


def test_key_from_outside_its_networks_gets_401(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(allowed_networks=["192.0.2.0/24"])
    assert_401(api.get("/orders", HTTP_X_API_KEY=plaintext, REMOTE_ADDR="198.51.100.9"))
    assert api.get("/orders", HTTP_X_API_KEY=plaintext, REMOTE_ADDR="192.0.2.9").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "ak_live_short",
        "ak_live_" + "A" * 46,  # right shape, bad checksum
        "ak_prod_" + "A" * 46,
        "ak_live_" + "é" * 46,
        "ak_live_" + "A" * 65536,
        "",
        "a, b",
        "' OR 1=1 --",
        "{{ settings.SECRET_KEY }}",
    ],
)
def test_malformed_x_api_key_gets_401_and_costs_no_query(api, header) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/orders", HTTP_X_API_KEY=header)
    assert_401(response)
    assert len(queries) == 0


def test_doubled_header_is_refused(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    assert_401(api.get("/orders", HTTP_X_API_KEY=f"{plaintext}, {plaintext}"))


def test_looser_authorization_forms_are_not_accepted(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    for value in (
        f" Bearer {plaintext}",
        f"Token {plaintext}",
        f"Basic {plaintext}",
        f"Bearer  {plaintext}",
        plaintext,
    ):
        response = api.get("/orders", HTTP_AUTHORIZATION=value)
        assert response.status_code == 401, value


def test_authenticated_request_costs_one_query(api, make_key, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    with django_assert_num_queries(1):
        assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200


def test_rate_limited_key_gets_429_with_headers(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(rate_limit=2)
    first = api.get("/orders", HTTP_X_API_KEY=plaintext)
    assert first.status_code == 200
    assert first["RateLimit-Limit"] == "2" and first["RateLimit-Remaining"] == "1"
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    third = api.get("/orders", HTTP_X_API_KEY=plaintext)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "rate_limited"
    assert int(third["Retry-After"]) >= 1
    assert third["RateLimit-Remaining"] == "0"


def test_brute_force_from_one_ip_meets_429(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_FAILURES_PER_IP_PER_MINUTE = 3
    codes = [api.get("/orders", HTTP_X_API_KEY="ak_live_" + "A" * 46).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_wrong_secret_for_a_real_key_id_meets_per_key_limit(api, make_key, settings) -> None:  # type: ignore[no-untyped-def]
    from keys.apikeys import tokens

    settings.KEYS_FAILURES_PER_KEY_PER_MINUTE = 2
    key, plaintext = make_key()
    forged = tokens.build("ak", "live", key.id)
    codes = [api.get("/orders", HTTP_X_API_KEY=forged, REMOTE_ADDR=f"203.0.113.{i}").status_code for i in range(4)]
    assert codes == [401, 401, 429, 429]
    # The holder of the real key is not locked out by someone else's guessing.
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200


def test_key_in_roll_grace_answers_with_deprecation_and_sunset(api, make_key, alice) -> None:  # type: ignore[no-untyped-def]
    from keys.services import key_roll

    key, plaintext = make_key()
    key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    response = api.get("/orders", HTTP_X_API_KEY=plaintext)
    assert response.status_code == 200
    assert response["Deprecation"].startswith("@")
    assert response["Sunset"].endswith("GMT")


def test_oauth_style_bearer_tokens_are_left_to_other_schemes(api) -> None:  # type: ignore[no-untyped-def]
    # Not our prefix: APIKeyAuthentication returns None, so this is "no credential", not a bad key.
    response = api.get("/orders", HTTP_AUTHORIZATION="Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
