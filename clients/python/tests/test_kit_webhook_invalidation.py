"""Webhook deliveries are verified with the Standard Webhooks signature before they drop a cached verdict."""

from __future__ import annotations

import json
import time

import pytest
from keyhouse_client.webhooks import InvalidationReceiver, WebhookVerificationError, verify
from standardwebhooks.webhooks import Webhook

from webhooks import signing

SECRET = signing.generate_secret()
OTHER = signing.generate_secret()


def delivery(
    event: str, data: dict[str, object], *, secrets: list[str], at: int | None = None
) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"type": event, "timestamp": "2026-01-01T00:00:00+00:00", "data": data}).encode()
    stamp = int(time.time()) if at is None else at
    return signing.headers(secrets=secrets, msg_id="msg_1", timestamp=stamp, body=body), body


def test_a_delivery_signed_by_the_platform_verifies_and_so_does_the_reference_libraries_view_of_it() -> None:
    headers, body = delivery("key.revoked", {"key": {"id": "3fQ9xK2m"}}, secrets=[SECRET])
    assert verify(SECRET, headers, body)["type"] == "key.revoked"
    Webhook(SECRET).verify(body, headers)  # the reference verifier agrees on the same bytes


def test_a_signature_made_by_the_reference_library_verifies() -> None:
    body = b'{"type": "key.updated", "data": {}}'
    stamp = int(time.time())
    signature = Webhook(SECRET).sign("msg_2", _utc(stamp), body.decode())
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(stamp), "webhook-signature": signature}
    assert verify(SECRET, headers, body)["type"] == "key.updated"


def _utc(stamp: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, tz=UTC)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),
        lambda h, b: ({**h, "webhook-id": "msg_other"}, b),
        lambda h, b: ({**h, "webhook-signature": "v1,AAAA"}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
        lambda h, b: ({**h, "webhook-timestamp": "soon"}, b),
    ],
)
def test_a_tampered_or_incomplete_delivery_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    headers, body = tamper(*delivery("key.revoked", {"key": {"id": "x"}}, secrets=[SECRET]))
    with pytest.raises(WebhookVerificationError):
        verify(SECRET, headers, body)


def test_an_old_delivery_cannot_be_replayed() -> None:
    headers, body = delivery("key.revoked", {"key": {"id": "x"}}, secrets=[SECRET], at=int(time.time()) - 301)
    with pytest.raises(WebhookVerificationError, match="too far"):
        verify(SECRET, headers, body)


def test_during_a_secret_rotation_either_secret_verifies() -> None:
    headers, body = delivery("key.revoked", {"key": {"id": "x"}}, secrets=[OTHER, SECRET])
    assert verify(SECRET, headers, body)
    assert verify([OTHER], headers, body)
    with pytest.raises(WebhookVerificationError):
        verify(signing.generate_secret(), headers, body)


def test_the_receiver_drops_the_named_key_on_invalidating_events_only() -> None:
    dropped: list[str] = []
    receiver = InvalidationReceiver(secrets=SECRET, invalidate=dropped.append)
    for event in ("key.revoked", "key.updated", "key.disabled", "key.rolled", "key.expired", "key.leaked"):
        assert receiver.handle(*delivery(event, {"key": {"id": event}}, secrets=[SECRET])) == 204
    assert receiver.handle(*delivery("key.created", {"key": {"id": "new"}}, secrets=[SECRET])) == 204
    assert receiver.handle(*delivery("key.revoked", {"key": "not an object"}, secrets=[SECRET])) == 204
    assert dropped == ["key.revoked", "key.updated", "key.disabled", "key.rolled", "key.expired", "key.leaked"]


def test_the_receiver_answers_400_to_a_forged_delivery_and_drops_nothing() -> None:
    dropped: list[str] = []
    receiver = InvalidationReceiver(secrets=[SECRET], invalidate=dropped.append)
    assert receiver.handle(*delivery("key.revoked", {"key": {"id": "k"}}, secrets=[OTHER])) == 400
    headers, _ = delivery("key.revoked", {"key": {"id": "k"}}, secrets=[SECRET])
    assert receiver.handle(headers, b"\xff\xfe not json") == 400
    assert dropped == []
    with pytest.raises(ValueError):
        InvalidationReceiver(secrets=[], invalidate=dropped.append)
