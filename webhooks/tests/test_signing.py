"""Our signer follows Standard Webhooks exactly: the spec's test vector, the secret format, rotation headers."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks import signing

# The official test vector of the Standard Webhooks specification and its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signer_reproduces_the_spec_test_vector() -> None:
    assert signing.sign(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY) == SPEC_SIGNATURE
    # The prefix is optional, exactly as in the reference libraries.
    bare = SPEC_SECRET.removeprefix("whsec_")
    assert signing.sign(secret=bare, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY) == SPEC_SIGNATURE


def test_new_secrets_are_whsec_and_base64_of_32_random_bytes() -> None:
    secrets = {signing.generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_standardwebhooks_accepts_our_headers_with_either_secret_of_a_rotation() -> None:
    old, new = signing.generate_secret(), signing.generate_secret()
    body = b'{"type":"webhook.test","timestamp":"2025-01-01T00:00:00.000000Z","data":{}}'
    headers = signing.headers(secrets=[new, old], msg_id="msg_x", timestamp=int(time.time()), body=body)
    assert headers["webhook-id"] == "msg_x"
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert all(sig.startswith("v1,") for sig in headers["webhook-signature"].split(" "))
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(body, headers)


def test_a_changed_body_or_id_fails_verification() -> None:
    secret = signing.generate_secret()
    body = b'{"a":1}'
    headers = signing.headers(secrets=[secret], msg_id="msg_1", timestamp=int(time.time()), body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, {**headers, "webhook-id": "msg_2"})


def test_a_malformed_secret_is_refused() -> None:
    for bad in ("whsec_", "whsec_***", ""):
        with pytest.raises(ValueError):
            signing.secret_key(bad)
