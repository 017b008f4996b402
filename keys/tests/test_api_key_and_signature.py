"""API key + HMAC (SignedAPIKeyAuthentication): the key says who calls, the signature proves the request intact."""

from __future__ import annotations

import pytest

from keys.services import signing_secret_create
from keys.tests.signing_helpers import send, signed_headers

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.credential_api")]
PATH = "/key-and-signature/orders"


@pytest.fixture
def key_and_secret(make_key, org, alice):  # type: ignore[no-untyped-def]
    key, raw_key = make_key(environment="test", scopes=["orders:write"])
    secret, raw_secret = signing_secret_create(
        organization=org, actor=alice, name="Signer", scopes=["orders:read"], environment="test"
    )
    return key, raw_key, secret, raw_secret


def test_a_key_with_a_signature_covering_it_is_accepted(api, key_and_secret) -> None:  # type: ignore[no-untyped-def]
    key, raw_key, secret, raw_secret = key_and_secret
    body = b'{"sku": "A1"}'
    headers = signed_headers(
        secret.key_id, raw_secret, method="POST", path=PATH, body=body, headers={"Authorization": f"Bearer {raw_key}"}
    )
    assert '"authorization"' in headers["Signature-Input"]
    response = send(api, headers, method="POST", path=PATH, body=body)
    assert response.status_code == 201, response.content
    # The key is the credential (its scopes apply); the secret only vouches for integrity.
    assert response.json()["kind"] == "api_key" and response.json()["id"] == key.id
    assert response.json()["signed_by"] == secret.key_id


def test_x_api_key_works_too_and_must_be_covered(api, key_and_secret) -> None:  # type: ignore[no-untyped-def]
    _, raw_key, secret, raw_secret = key_and_secret
    headers = signed_headers(secret.key_id, raw_secret, path=PATH, headers={"X-API-Key": raw_key})
    assert send(api, headers, path=PATH).status_code == 200
    uncovered = signed_headers(secret.key_id, raw_secret, path=PATH, covered_headers=())
    uncovered["X-API-Key"] = raw_key
    response = send(api, uncovered, path=PATH)
    assert response.status_code == 401 and response.json()["error"]["detail"]["reason"] == "missing_component"


def test_a_key_without_a_signature_is_refused(api, key_and_secret) -> None:  # type: ignore[no-untyped-def]
    _, raw_key, _, _ = key_and_secret
    response = api.get(PATH, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 401
    assert response.json()["error"]["detail"] == {"reason": "missing_signature"}
    assert '"authorization"' in response["Accept-Signature"]


def test_a_signature_without_a_key_is_not_enough(api, key_and_secret) -> None:  # type: ignore[no-untyped-def]
    _, _, secret, raw_secret = key_and_secret
    response = send(api, signed_headers(secret.key_id, raw_secret, path=PATH), path=PATH)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_a_swapped_key_breaks_the_signature(api, key_and_secret, make_key) -> None:  # type: ignore[no-untyped-def]
    _, raw_key, secret, raw_secret = key_and_secret
    _, other_key = make_key(environment="test", scopes=["orders:write"])
    headers = signed_headers(secret.key_id, raw_secret, path=PATH, headers={"Authorization": f"Bearer {raw_key}"})
    headers["Authorization"] = f"Bearer {other_key}"
    response = send(api, headers, path=PATH)
    assert response.status_code == 401 and response.json()["error"]["detail"]["reason"] == "bad_signature"


def test_another_teams_secret_does_not_vouch_for_our_key(api, key_and_secret, charlie, charlie_org) -> None:  # type: ignore[no-untyped-def]
    _, raw_key, _, _ = key_and_secret
    theirs, raw_theirs = signing_secret_create(
        organization=charlie_org, actor=charlie, name="Theirs", scopes=["orders:read"], environment="test"
    )
    headers = signed_headers(theirs.key_id, raw_theirs, path=PATH, headers={"Authorization": f"Bearer {raw_key}"})
    response = send(api, headers, path=PATH)
    assert response.status_code == 401 and response.json()["error"]["detail"]["reason"] == "key_mismatch"


def test_a_secret_bound_to_one_key_signs_only_with_that_key(api, org, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, raw_key = make_key(environment="test", scopes=["orders:read"])
    _, raw_other = make_key(environment="test", scopes=["orders:read"])
    bound, raw_bound = signing_secret_create(
        organization=org, actor=alice, name="Bound", scopes=["orders:read"], environment="test", api_key=key
    )
    ok = signed_headers(bound.key_id, raw_bound, path=PATH, headers={"Authorization": f"Bearer {raw_key}"})
    assert send(api, ok, path=PATH).status_code == 200
    other = signed_headers(bound.key_id, raw_bound, path=PATH, headers={"Authorization": f"Bearer {raw_other}"})
    assert send(api, other, path=PATH).json()["error"]["detail"]["reason"] == "key_mismatch"
    # Alone, without its key, a bound secret authenticates nothing.
    alone = send(api, signed_headers(bound.key_id, raw_bound), path="/orders")
    assert alone.status_code == 401 and alone.json()["error"]["detail"]["reason"] == "key_mismatch"


def test_an_invalid_key_gets_the_api_key_401_before_any_signature_work(api, key_and_secret) -> None:  # type: ignore[no-untyped-def]
    _, _, secret, raw_secret = key_and_secret
    bogus = "ak_test_" + "A" * 46
    headers = signed_headers(secret.key_id, raw_secret, path=PATH, headers={"Authorization": f"Bearer {bogus}"})
    response = send(api, headers, path=PATH)
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid or inactive API key."
