"""POST /api/v1/credentials/revoke: whoever holds a key or signing secret revokes it with no account, and the
answer never tells a real credential from a made-up or an already-revoked one."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from conftest import key_client
from keys.apikeys import hashing, tokens
from keys.models import KeyStatus
from keys.services import signing_secret_create
from keys.tests.scanning import made_up_key
from lib.tests.answers import answer
from webhooks.models import Message

pytestmark = pytest.mark.django_db

URL = "/api/v1/credentials/revoke"


def test_a_live_key_posted_by_its_holder_fails_on_the_next_request(api, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(environment="live")
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 200
    response = api.post(URL, {"key": plaintext}, format="json")
    assert response.status_code == 200
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 401
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_reason == "Leaked (public_revoke)"


def test_the_answer_is_byte_for_byte_the_same_for_real_made_up_and_revoked_keys(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    real = answer(api.post(URL, {"key": plaintext}, format="json"))
    again = answer(api.post(URL, {"key": plaintext}, format="json"))
    made_up = answer(api.post(URL, {"key": made_up_key()}, format="json"))
    garbage = answer(api.post(URL, {"key": "not a key at all"}, format="json"))
    assert real == again == made_up == garbage
    assert real[0] == 200 and b"revoked" in real[2]


def test_a_right_key_id_with_a_wrong_secret_revokes_nothing(api, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    forged = tokens.build("ak", "live", key.id)  # same id, another secret, a valid checksum
    assert forged != plaintext
    assert api.post(URL, {"key": forged}, format="json").status_code == 200
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not AuditEvent.objects.filter(action="key.leaked").exists()


def test_an_unknown_key_still_pays_the_hash_check(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    real_check = hashing.check

    def counting(key: str, stored: str) -> tuple[bool, bool]:
        calls.append(stored)
        return real_check(key, stored)

    monkeypatch.setattr(hashing, "check", counting)
    api.post(URL, {"key": made_up_key()}, format="json")
    assert len(calls) == 1 and calls[0].startswith("hmac-sha256$2$")


def test_the_revoke_is_audited_and_published_as_key_leaked(api, make_key, org, hook) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    api.post(URL, {"key": plaintext}, format="json", REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action="key.leaked")
    assert event.target_id == key.id and event.metadata["source"] == "public_revoke"
    assert event.actor is None and "public revoke" in event.actor_label
    message = Message.objects.get(organization=org, event_type="key.leaked")
    assert plaintext not in message.payload
    assert json.loads(message.payload)["data"]["action"] == "revoked"


def test_a_signing_secret_is_revoked_with_its_key_id(api, org, alice) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = signing_secret_create(organization=org, actor=alice, name="Signer", scopes=["orders:read"])
    wrong = answer(api.post(URL, {"key_id": secret.key_id, "key": plaintext[:-1] + "x"}, format="json"))
    secret.refresh_from_db()
    assert secret.status == KeyStatus.ACTIVE
    right = answer(api.post(URL, {"key_id": secret.key_id, "key": plaintext}, format="json"))
    unknown = answer(api.post(URL, {"key_id": "hs_live_nosuchsecret0001", "key": plaintext}, format="json"))
    secret.refresh_from_db()
    assert secret.status == KeyStatus.REVOKED
    assert wrong == right == unknown
    assert AuditEvent.objects.filter(action="key.leaked", target_type="signing_secret").count() == 1


def test_the_public_revoke_is_rate_limited_per_ip(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_PUBLIC_REVOKE_PER_IP_PER_MINUTE = 2
    for _ in range(2):
        assert api.post(URL, {"key": made_up_key()}, format="json", REMOTE_ADDR="198.51.100.7").status_code == 200
    limited = api.post(URL, {"key": made_up_key()}, format="json", REMOTE_ADDR="198.51.100.7")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited" and "RateLimit-Remaining" in limited
    other = api.post(URL, {"key": made_up_key()}, format="json", REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{}", "application/json"),
        ('{"key": ""}', "application/json"),
        ("{not json", "application/json"),
        ('{"key": 5}', "text/plain"),
    ],
)
def test_bad_input_gets_a_clear_400(api, body, content_type) -> None:  # type: ignore[no-untyped-def]
    response = api.generic("POST", URL, body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response.json()["error"]["code"] in ("invalid_request", "malformed_request", "unsupported_media_type")


def test_an_oversized_key_is_refused_without_a_lookup(api, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = api.post(URL, {"key": "x" * 9000}, format="json")
    assert response.status_code == 400 and "key" in response.json()["error"]["detail"]


def test_only_post_is_allowed(api) -> None:  # type: ignore[no-untyped-def]
    assert api.get(URL).status_code == 405


def test_it_needs_no_session_and_ignores_one(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    """A logged-in browser without a CSRF token is treated like anyone else: no cookie, no CSRF check."""
    from django.test import Client

    from conftest import login

    browser = Client(enforce_csrf_checks=True)
    login(browser, alice)
    key, plaintext = make_key()
    response = browser.post(URL, {"key": plaintext}, content_type="application/json")
    assert response.status_code == 200 and "Set-Cookie" not in response
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED


def test_the_leak_endpoints_are_in_the_openapi_schema(api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/schema/").content
    for path in (URL, "/api/v1/secret-scanning/github", "/api/v1/secret-scanning/gitlab/v1/revoke"):
        assert path.encode() in schema
