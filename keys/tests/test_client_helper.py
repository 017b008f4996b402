"""The customer signer (keys/client.py) against our verifier, and the worked example in docs/signing.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import httpx
import pytest
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from keys.services import signing_secret_create
from keys.signing.client import HTTPXSigner, RequestSigner, RequestsSigner

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signing.md"

# The worked example of docs/signing.md; other languages can check their implementation against it.
EXAMPLE_KEY_ID = "hs_live_3fQ9xK2mAbCdEf12"
EXAMPLE_SECRET = "hss_r8QKq0cTt2mYb1Jx9VvZpL3sWn6HdA4uE5fGk7oNiRw"
EXAMPLE_BODY = b'{"sku":"A1","qty":2}'
EXAMPLE_BASE = (
    '"@method": POST\n'
    '"@target-uri": https://api.example.com/v1/orders?dry_run=1\n'
    '"content-type": application/json\n'
    '"content-digest": sha-256=:ERL47/EOLw6RtheS54OgHs/od+QhRqhIwql2BA+1A9Q=:\n'
    '"@signature-params": ("@method" "@target-uri" "content-type" "content-digest");created=1767225600;'
    'keyid="hs_live_3fQ9xK2mAbCdEf12";alg="hmac-sha256";nonce="7jN3kQ9pX2mZ4vB8cD1eF0"'
)
EXAMPLE_SIGNATURE = "sig1=:WmYb4b+PSKoGiplE1nNL1tikA9cOlfnWynVQNdnTP1Y=:"


def test_the_documented_example_signs_to_the_documented_values() -> None:
    signer = RequestSigner(
        EXAMPLE_KEY_ID, EXAMPLE_SECRET, clock=lambda: 1767225600, nonce=lambda: "7jN3kQ9pX2mZ4vB8cD1eF0"
    )
    headers = {"Content-Type": "application/json"}
    parts = signer.sign(
        method="POST", url="https://api.example.com/v1/orders?dry_run=1", headers=headers, body=EXAMPLE_BODY
    )
    assert parts.signature_base == EXAMPLE_BASE
    assert headers["Signature"] == EXAMPLE_SIGNATURE
    # Recomputed by hand, the way another language would: HMAC-SHA256(secret's ASCII bytes, base), base64.
    mac = hmac.new(EXAMPLE_SECRET.encode("ascii"), EXAMPLE_BASE.encode("ascii"), hashlib.sha256).digest()
    assert f"sig1=:{base64.b64encode(mac).decode()}:" == EXAMPLE_SIGNATURE
    digest = base64.b64encode(hashlib.sha256(EXAMPLE_BODY).digest()).decode()
    assert headers["Content-Digest"] == f"sha-256=:{digest}:"


def test_the_docs_show_exactly_these_values() -> None:
    text = DOCS.read_text()
    assert EXAMPLE_BASE in text
    assert f"Signature: {EXAMPLE_SIGNATURE}" in text
    assert EXAMPLE_SECRET in text


def test_signing_again_replaces_the_earlier_signature() -> None:
    signer = RequestSigner(EXAMPLE_KEY_ID, EXAMPLE_SECRET)
    headers = {"Content-Type": "application/json"}
    signer.sign(method="POST", url="https://api.example.com/v1/orders", headers=headers, body=b"{}")
    signer.sign(method="POST", url="https://api.example.com/v1/orders", headers=headers, body=b"{}")
    assert headers["Signature"].count("sig1=") == 1 and headers["Signature-Input"].count("sig1=") == 1


def test_the_signer_never_shows_its_secret() -> None:
    signer = RequestsSigner(EXAMPLE_KEY_ID, EXAMPLE_SECRET)
    assert EXAMPLE_SECRET not in repr(signer.signer) and EXAMPLE_KEY_ID in repr(signer.signer)


@pytest.mark.django_db
@pytest.mark.urls("keys.tests.credential_api")
def test_the_httpx_signer_is_accepted_by_our_verifier(org, alice) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = signing_secret_create(
        organization=org, actor=alice, name="httpx", scopes=["orders:write"], environment="test"
    )
    transport = httpx.WSGITransport(app=WSGIHandler())
    # As Django's test client does: the test's transaction holds the connection, so requests must not close it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with httpx.Client(
            transport=transport, base_url="http://testserver", auth=HTTPXSigner(secret.key_id, plaintext)
        ) as client:
            created = client.post("/orders?source=httpx", json={"sku": "A1"})
            listed = client.get("/orders")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert created.status_code == 201, created.text
    assert created.json()["received"] == {"sku": "A1"} and created.json()["id"] == secret.id
    assert listed.status_code == 200


@pytest.mark.urls("keys.tests.credential_api")
def test_the_requests_signer_is_accepted_by_a_live_server(live_server, org, alice) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = signing_secret_create(
        organization=org, actor=alice, name="requests", scopes=["orders:write"], environment="test"
    )
    auth = RequestsSigner(secret.key_id, plaintext)
    created = requests.post(f"{live_server.url}/orders", json={"sku": "B2"}, auth=auth, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json()["received"] == {"sku": "B2"}
    tampered = requests.Request("POST", f"{live_server.url}/orders", json={"sku": "B2"}, auth=auth).prepare()
    tampered.body = b'{"sku": "B3"}'
    refused = requests.Session().send(tampered, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["detail"]["reason"] == "digest_mismatch"
