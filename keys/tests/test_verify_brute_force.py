"""Issue 10: POST /api/v1/verify counts failed keys in its body per calling IP and per key id."""

from __future__ import annotations

import pytest

from conftest import key_client
from keys.apikeys import tokens

pytestmark = pytest.mark.django_db


def wrong_secret(plaintext: str) -> str:
    """The same key id with another (well-formed, checksummed) secret: a guess."""
    parsed = tokens.parse(plaintext, prefix="ak")
    assert parsed is not None
    body = f"ak_{parsed.environment}_{parsed.key_id}" + "x" * 32
    return body + tokens.checksum(body)


def test_guesses_at_one_key_id_are_limited_from_every_address(make_key, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_FAILURES_PER_KEY_PER_MINUTE = 3
    _, verifier = make_key(scopes=["keys:verify"])
    target, target_plain = make_key(scopes=["orders:read"])
    client = key_client(verifier)
    guess = wrong_secret(target_plain)
    answers = [
        client.post("/api/v1/verify", {"key": guess}, format="json", REMOTE_ADDR=f"198.51.100.{n}") for n in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[0].json()["code"] == "NOT_FOUND"
    assert answers[-1].json()["error"]["code"] == "too_many_failures" and int(answers[-1]["Retry-After"]) > 0
    # The right key still verifies: nobody can lock a key out by guessing at it.
    assert client.post("/api/v1/verify", {"key": target_plain}, format="json").json()["code"] == "VALID"


def test_failed_keys_are_limited_per_calling_ip(make_key, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VERIFY_FAILURES_PER_IP_PER_MINUTE = 2
    _, verifier = make_key(scopes=["keys:verify"])
    client = key_client(verifier)
    codes = [
        client.post("/api/v1/verify", {"key": f"garbage-{n}"}, format="json", REMOTE_ADDR="192.0.2.7").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    other = client.post("/api/v1/verify", {"key": "garbage"}, format="json", REMOTE_ADDR="192.0.2.8")
    assert other.status_code == 200 and other.json()["code"] == "MALFORMED"


def test_answers_that_needed_the_right_secret_are_not_counted(make_key, alice, settings) -> None:  # type: ignore[no-untyped-def]
    from keys.services import key_revoke

    settings.KEYS_FAILURES_PER_KEY_PER_MINUTE = 1
    settings.VERIFY_FAILURES_PER_IP_PER_MINUTE = 1
    _, verifier = make_key(scopes=["keys:verify"])
    revoked, revoked_plain = make_key()
    key_revoke(key=revoked, actor=alice)
    client = key_client(verifier)
    for _ in range(3):
        assert client.post("/api/v1/verify", {"key": revoked_plain}, format="json").json()["code"] == "REVOKED"
