from __future__ import annotations

import pytest
from django.test import override_settings

from keys.apikeys import hashing
from keys.models import APIKey
from keys.services import Code, key_check


def test_hash_names_algorithm_and_pepper_version() -> None:
    stored = hashing.make_hash("ak_live_x")
    algorithm, version, digest = stored.split("$")
    assert algorithm == "hmac-sha256" and version == str(hashing.current_version()) and len(digest) == 64


def test_check_matches_only_the_same_key() -> None:
    stored = hashing.make_hash("key-one")
    assert hashing.check("key-one", stored) == (True, False)
    assert hashing.check("key-two", stored)[0] is False


def test_an_unknown_pepper_version_never_matches() -> None:
    assert hashing.check("k", "hmac-sha256$99$" + "0" * 64) == (False, False)
    assert hashing.check("k", "md5$1$abc") == (False, False)


@pytest.mark.django_db
def test_key_verified_under_old_pepper_is_rehashed_on_use(make_key) -> None:  # type: ignore[no-untyped-def]
    with override_settings(KEYS_PEPPERS="1:old-pepper-0123456789abcdef"):
        key, plaintext = make_key()
    assert key.secret_hash.startswith("hmac-sha256$1$")
    with override_settings(KEYS_PEPPERS="2:new-pepper-0123456789abcdef,1:old-pepper-0123456789abcdef"):
        assert key_check(plaintext, ip="127.0.0.1").code is Code.VALID
        assert APIKey.objects.get(pk=key.pk).secret_hash.startswith("hmac-sha256$2$")
        assert key_check(plaintext, ip="127.0.0.1").code is Code.VALID


@pytest.mark.django_db
def test_key_whose_pepper_was_retired_no_longer_verifies(make_key) -> None:  # type: ignore[no-untyped-def]
    with override_settings(KEYS_PEPPERS="1:old-pepper-0123456789abcdef"):
        _, plaintext = make_key()
    with override_settings(KEYS_PEPPERS="2:new-pepper-0123456789abcdef"):
        assert key_check(plaintext, ip="127.0.0.1").code is Code.NOT_FOUND


@pytest.mark.parametrize("length", [16, 63, 64, 65, 200])
def test_check_agrees_with_the_standard_hmac_for_every_pepper_length(length: int) -> None:
    """`check` computes HMAC from prepared pad states; a stored digest from `hmac.new` must still match."""
    import hashlib
    import hmac

    secret = ("p" * length)[:length]
    with override_settings(KEYS_PEPPERS=f"3:{secret}"):
        for key in ("kh_live_AbCdEfGh" + "x" * 40, "", "ü-key"):
            stored = f"hmac-sha256$3${hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()}"
            assert hashing.check(key, stored) == (True, False)
            assert hashing.check(key + "!", stored) == (False, False)
