"""The passkey endpoints refuse what is not a fresh, valid WebAuthn answer with a clear 4xx (never a 500).
The happy paths run in a real browser: test_second_factor_in_a_browser.py."""

from __future__ import annotations

import json

import pytest

from accounts.models import Passkey
from conftest import login

pytestmark = pytest.mark.django_db

FAKE = json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "e30"}})


def test_login_options_are_discoverable_and_bind_the_site(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://keys.example.com"
    options = client.post("/login/passkey/options").json()
    assert options["rpId"] == "keys.example.com" and options["allowCredentials"] == []
    assert options["userVerification"] == "required" and len(options["challenge"]) >= 43


def test_login_without_a_challenge_or_with_junk_is_400(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/login/passkey", FAKE, content_type="application/json").status_code == 400
    client.post("/login/passkey/options")
    # A body nested far deeper than any WebAuthn answer was a RecursionError (500) in json.loads.
    for body in ("not json", "[]", json.dumps({"id": 5}), FAKE, "[" * 5000 + "]" * 5000):
        response = client.post("/login/passkey", body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]
        client.post("/login/passkey/options")
    assert "_auth_user_id" not in client.session


def test_an_unknown_credential_is_refused(client, alice) -> None:  # type: ignore[no-untyped-def]
    Passkey.objects.create(user=alice, name="Key", credential_id="BBBB", public_key=b"x")
    client.post("/login/passkey/options")
    response = client.post("/login/passkey", FAKE, content_type="application/json")
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_a_forged_assertion_for_a_known_credential_is_refused(client, alice) -> None:  # type: ignore[no-untyped-def]
    Passkey.objects.create(user=alice, name="Key", credential_id="AAAA", public_key=b"not a cose key")
    client.post("/login/passkey/options")
    response = client.post("/login/passkey", FAKE, content_type="application/json")
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_registering_needs_a_login_and_sudo(client, alice) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/account/security/passkeys/options")["Location"].startswith("/login/")
    login(client, alice, sudo=False)
    assert client.post("/account/security/passkeys/options").status_code == 403
    assert client.post("/account/security/passkeys/", FAKE, content_type="application/json").status_code == 403
    login(client, alice)
    options = client.post("/account/security/passkeys/options").json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["user"]["name"] == alice.email and alice.email not in options["user"]["id"]
    response = client.post("/account/security/passkeys/", FAKE, content_type="application/json")
    assert response.status_code == 400 and not Passkey.objects.filter(user=alice).exists()


def test_a_challenge_for_one_purpose_does_not_serve_another(client, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    client.post("/account/security/passkeys/options")
    response = client.post("/account/confirm-password/passkey", FAKE, content_type="application/json")
    assert response.status_code == 400 and "expired" in response.json()["error"]


def test_removing_a_passkey_is_limited_to_its_owner(client, alice, bob) -> None:  # type: ignore[no-untyped-def]
    passkey = Passkey.objects.create(user=alice, name="Key", credential_id="CCCC", public_key=b"x")
    login(client, bob)
    client.post(f"/account/security/passkeys/{passkey.pk}/remove")
    assert Passkey.objects.filter(pk=passkey.pk).exists()
    login(client, alice)
    client.post(f"/account/security/passkeys/{passkey.pk}/remove")
    assert not Passkey.objects.filter(pk=passkey.pk).exists()


def test_the_passkey_endpoints_only_take_post(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/login/passkey/options").status_code == 405
    assert client.get("/login/passkey").status_code == 405
