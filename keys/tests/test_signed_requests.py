"""SignedRequestAuthentication: RFC 9421 hmac-sha256 signed requests, each rule refused with its reason."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from keys.models import SigningSecret
from keys.services import signing_secret_create, signing_secret_revoke, signing_secret_rotate
from keys.tests.signing_helpers import send, signed, signed_headers

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.credential_api")]


@pytest.fixture
def make_secret(org, alice):  # type: ignore[no-untyped-def]
    def make(**kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("organization", org)
        kwargs.setdefault("actor", alice)
        kwargs.setdefault("name", "Billing signer")
        kwargs.setdefault("scopes", ["orders:write"])
        kwargs.setdefault("environment", "test")
        return signing_secret_create(**kwargs)

    return make


def reason(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_signature"
    assert "Accept-Signature" in response
    return str(error["detail"]["reason"])


def test_a_signed_get_is_accepted_and_the_credential_is_the_signing_secret(api, make_secret, org) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    response = signed(api, secret.key_id, plaintext)
    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "signing_secret", "id": secret.id, "organization": org.slug, "signed_by": None}


def test_a_signed_post_with_a_body_is_accepted(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    body = json.dumps({"sku": "A1", "qty": 2}).encode()
    response = signed(api, secret.key_id, plaintext, method="POST", body=body)
    assert response.status_code == 201, response.content
    assert response.json()["received"] == {"sku": "A1", "qty": 2}


def test_a_replayed_request_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    body = b'{"sku": "A1"}'
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=body)
    assert send(api, headers, method="POST", body=body).status_code == 201
    assert reason(send(api, headers, method="POST", body=body)) == "replayed"


def test_a_tampered_body_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=b'{"amount": 10}')
    assert reason(send(api, headers, method="POST", body=b'{"amount": 10000}')) == "digest_mismatch"


def test_a_tampered_method_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=b"{}")
    assert reason(send(api, headers, method="PUT", body=b"{}")) == "bad_signature"


def test_a_tampered_path_or_query_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext, path="/orders?limit=1")
    assert reason(send(api, headers, path="/orders?limit=1000")) == "bad_signature"
    assert reason(send(api, headers, path="/orders?limit=1&limit=2")) == "bad_signature"


def test_a_tampered_signed_header_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    body = b'{"a": 1}'
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=body)
    headers["Content-Type"] = "text/plain"
    assert reason(send(api, headers, method="POST", body=body)) == "bad_signature"


def test_a_skewed_clock_is_refused_either_way(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    now = time.time()
    ahead = signed_headers(secret.key_id, plaintext, clock=lambda: now + 120)
    assert reason(send(api, ahead)) == "created_in_future"
    behind = signed_headers(secret.key_id, plaintext, clock=lambda: now - 400)
    assert reason(send(api, behind)) == "expired"
    # A few seconds of skew either way is tolerated.
    assert send(api, signed_headers(secret.key_id, plaintext, clock=lambda: now + 10)).status_code == 200
    assert send(api, signed_headers(secret.key_id, plaintext, clock=lambda: now - 310)).status_code == 200


def test_a_body_without_a_signed_content_digest_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    # Signed as if there were no body, then a body is sent: the digest is neither sent nor covered.
    headers = signed_headers(secret.key_id, plaintext, method="POST", headers={"Content-Type": "application/json"})
    assert reason(send(api, headers, method="POST", body=b'{"a": 1}')) == "missing_digest"


def test_an_unknown_key_id_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    assert reason(signed(api, "hs_test_doesnotexist0000", plaintext)) == "unknown_key_id"
    assert reason(signed(api, "not-one-of-ours", plaintext)) == "unknown_key_id"
    # The right id in the wrong environment does not exist either.
    assert reason(signed(api, secret.key_id.replace("_test_", "_live_"), plaintext)) == "unknown_key_id"


def test_a_wrong_secret_is_a_bad_signature(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, _ = make_secret()
    assert reason(signed(api, secret.key_id, "hss_not-the-secret")) == "bad_signature"


def test_a_rotated_secret_passes_during_grace_and_fails_after(api, make_secret, alice) -> None:  # type: ignore[no-untyped-def]
    secret, old = make_secret()
    secret, new = signing_secret_rotate(secret=secret, actor=alice, grace=timedelta(hours=1))
    response = signed(api, secret.key_id, old)
    assert response.status_code == 200
    assert "Deprecation" in response and "Sunset" in response
    fresh = signed(api, secret.key_id, new)
    assert fresh.status_code == 200 and "Deprecation" not in fresh
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert reason(signed(api, secret.key_id, old)) == "bad_signature"
        assert signed(api, secret.key_id, new).status_code == 200


def test_a_rotation_without_grace_stops_the_old_secret_at_once(api, make_secret, alice) -> None:  # type: ignore[no-untyped-def]
    secret, old = make_secret()
    secret, new = signing_secret_rotate(secret=secret, actor=alice)
    assert reason(signed(api, secret.key_id, old)) == "bad_signature"
    assert signed(api, secret.key_id, new).status_code == 200


def test_a_revoked_secret_fails_on_the_very_next_request(api, make_secret, alice) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    assert signed(api, secret.key_id, plaintext).status_code == 200
    signing_secret_revoke(secret=secret, actor=alice)
    assert reason(signed(api, secret.key_id, plaintext)) == "inactive_key"


def test_an_expired_secret_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret(expires_at=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert reason(signed(api, secret.key_id, plaintext)) == "inactive_key"


def test_a_secret_used_outside_its_networks_is_refused(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret(allowed_networks=["192.0.2.0/24"])
    assert reason(signed(api, secret.key_id, plaintext, REMOTE_ADDR="198.51.100.7")) == "forbidden_ip"
    assert signed(api, secret.key_id, plaintext, REMOTE_ADDR="192.0.2.7").status_code == 200


def test_a_missing_scope_gets_403_naming_it(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret(scopes=["orders:read"])
    assert signed(api, secret.key_id, plaintext).status_code == 200
    response = signed(api, secret.key_id, plaintext, method="POST", body=b"{}")
    assert response.status_code == 403
    assert response.json()["error"]["detail"] == {"missing_scopes": ["orders:write"]}


def test_the_secrets_rate_limit_applies(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret(rate_limit=2)
    assert [signed(api, secret.key_id, plaintext).status_code for _ in range(3)] == [200, 200, 429]


def test_an_unsigned_request_is_not_authenticated(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/orders")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Signature ")


def test_refusals_never_echo_the_secret(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=b'{"a": 1}')
    response = send(api, headers, method="POST", body=b'{"a": 2}')
    assert response.status_code == 401
    assert plaintext.encode() not in response.content
    assert SigningSecret.objects.filter(secret_encrypted__contains=plaintext).count() == 0


def test_authentication_costs_one_query(api, make_secret, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext)
    with django_assert_num_queries(1):
        assert send(api, headers).status_code == 200


def test_malformed_signature_input_costs_no_query(api, make_secret, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = api.get("/orders", HTTP_SIGNATURE_INPUT='sig1=("@method"', HTTP_SIGNATURE="sig1=:AAAA:")
    assert reason(response) == "malformed_signature"


def test_whoami_describes_a_signing_secret(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    response = signed(api, secret.key_id, plaintext, path="/api/v1/whoami")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "signing_secret" and body["id"] == secret.id and body["environment"] == "test"


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("x" * 70_000, "sig1=:AAAA:"),
        ('sig1=("@method");keyid="\u00e9t\u00e9";created=1;nonce="abcdefgh"', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";created=1;nonce="abcdefgh"', "sig1=:AAAA:, sig2=:AAAA:"),
        ('sig1=("@method");keyid="k";created=1;nonce="abcdefgh", sig2=("@method");keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method");keyid=1;created=1', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";created="yesterday"', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";created=1;evil=1', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";created=1;alg="rsa-pss-sha512"', "sig1=:AAAA:"),
        ("sig1=x", "sig1=:AAAA:"),
        ("", ""),
        ('sig1=("@method");keyid="k";created=1', "sig1=\x00"),
    ],
)
def test_malformed_signature_headers_get_401_never_500(api, signature_input, signature) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/orders", HTTP_SIGNATURE_INPUT=signature_input, HTTP_SIGNATURE=signature)
    assert response.status_code in (400, 401), response.content
    if response.status_code == 401:
        assert response.json()["error"]["code"] in ("invalid_signature", "not_authenticated")


def test_odd_urls_and_digests_get_401_never_500(api, make_secret) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext = make_secret()
    headers = signed_headers(secret.key_id, plaintext, method="POST", body=b"{}")
    for digest in ("sha-256=:not base64:", "sha-512=:AAAA:", "md5=:AAAA:", "\u00e9", "x" * 5000):
        response = send(api, {**headers, "Content-Digest": digest}, method="POST", body=b"{}")
        assert response.status_code == 401, digest
    odd = signed_headers(secret.key_id, plaintext, path="/orders")
    for path in ("/orders?q=%ZZ", "/orders?q=é", "/orders?q=a b"):
        assert send(api, odd, path=path).status_code in (400, 401), path


def test_repeated_failures_for_one_key_id_get_429(api, make_secret, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_FAILURES_PER_KEY_PER_MINUTE = 2
    secret, _ = make_secret()
    codes = [signed(api, secret.key_id, "hss_wrong").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
