"""Issue 10: the per-account limit is larger and longer, and never shuts out an address known to work."""

from __future__ import annotations

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(client, password: str, ip: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": "alice@example.com", "password": password}, REMOTE_ADDR=ip)


def test_a_slow_attack_from_many_addresses_locks_the_account_except_from_known_addresses(
    client, alice, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    # Alice logged in from home before.
    assert attempt(client, PASSWORD, "198.51.100.10").status_code == 302
    client.post("/logout/")
    # Two failures from each of three addresses: no address reaches the short per-address lock (5)...
    for n in range(3):
        for _ in range(2):
            assert attempt(client, "wrong", f"203.0.113.{n}").status_code == 200
    # ...but the account has had 6: from a new address even the right password is refused, with a reason.
    refused = attempt(client, PASSWORD, "203.0.113.200")
    assert refused.status_code == 200 and b"Too many failed attempts for this account" in refused.content
    assert "_auth_user_id" not in client.session
    # From home, Alice still logs in.
    home = attempt(client, PASSWORD, "198.51.100.10")
    assert home.status_code == 302 and "_auth_user_id" in client.session


def test_the_counter_ignores_case_and_stores_no_email(client, alice, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from accounts import lockout

    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    client.post("/login/", {"username": "ALICE@example.com", "password": "x"}, REMOTE_ADDR="203.0.113.1")
    client.post("/login/", {"username": "alice@EXAMPLE.com", "password": "x"}, REMOTE_ADDR="203.0.113.2")
    assert lockout.account_locked("alice@example.com", "203.0.113.3")
    assert "alice" not in lockout._window_key("alice@example.com") and cache.get(
        lockout._window_key("alice@example.com")
    )
