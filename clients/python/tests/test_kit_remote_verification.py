"""KeyVerifier against a live platform: POST /api/v1/verify once, then the bounded cache."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone
from keyhouse_client import AuthenticationFailed, KeyVerifier, PlatformUnavailable

from keys.services import key_revoke

pytestmark = pytest.mark.django_db(transaction=True)


class Counted:
    """An httpx client that counts the requests it sends to the platform."""

    def __init__(self) -> None:
        self.sent = 0
        self.client = httpx.Client(timeout=10, event_hooks={"request": [self._count]})

    def _count(self, request: httpx.Request) -> None:
        self.sent += 1


@pytest.fixture
def verifier_key(make_key: Any) -> str:
    _, plaintext = make_key(name="Company API", scopes=["keys:verify"])
    return str(plaintext)


def make_verifier(url: str, api_key: str, **kwargs: Any) -> tuple[KeyVerifier, Counted]:
    counted = Counted()
    return KeyVerifier(base_url=url, api_key=api_key, client=counted.client, **kwargs), counted


def test_a_valid_key_is_verified_once_and_then_served_from_the_cache(
    live_platform: str, verifier_key: str, make_key: Any, org: Any
) -> None:
    key, plaintext = make_key(scopes=["orders:write"])
    verifier, counted = make_verifier(live_platform, verifier_key, ttl=60)
    credential = verifier.verify(plaintext)
    assert (credential.id, credential.kind, credential.organization) == (key.id, "api_key", org.slug)
    assert credential.allows("orders:read") and not credential.allows("customers:read")
    assert verifier.verify(plaintext) == credential
    assert counted.sent == 1


def test_a_revoked_key_is_refused_after_its_invalidation_and_never_cached_as_valid(
    live_platform: str, verifier_key: str, make_key: Any, alice: Any
) -> None:
    key, plaintext = make_key()
    verifier, counted = make_verifier(live_platform, verifier_key, ttl=60)
    verifier.verify(plaintext)
    key_revoke(key=key, actor=alice)
    assert verifier.invalidate(key.id) == 1
    with pytest.raises(AuthenticationFailed) as refused:
        verifier.verify(plaintext)
    assert refused.value.code == "REVOKED"
    with pytest.raises(AuthenticationFailed):
        verifier.verify(plaintext)
    assert counted.sent == 3  # refusals are asked again every time


def test_keys_with_their_own_rate_limit_are_never_cached(live_platform: str, verifier_key: str, make_key: Any) -> None:
    _, plaintext = make_key(rate_limit=100)
    verifier, counted = make_verifier(live_platform, verifier_key, ttl=60)
    verifier.verify(plaintext)
    verifier.verify(plaintext)
    assert counted.sent == 2


def test_a_cached_verdict_never_outlives_the_keys_expiry(live_platform: str, verifier_key: str, make_key: Any) -> None:
    _, plaintext = make_key(expires_at=timezone.now() + timedelta(days=1))
    verifier, _ = make_verifier(live_platform, verifier_key, ttl=60)
    credential = verifier.verify(plaintext)
    assert credential.expires_at is not None and credential.expires_at > timezone.now()
    # The entry's own lifetime is min(ttl, time to expiry); here the ttl is the smaller.
    assert len(verifier.cache) == 1


def test_the_end_clients_address_is_checked_against_the_keys_networks(
    live_platform: str, verifier_key: str, make_key: Any
) -> None:
    _, plaintext = make_key(allowed_networks=["10.0.0.0/8"])
    verifier, _ = make_verifier(live_platform, verifier_key, ttl=60)
    assert verifier.verify(plaintext, ip="10.1.2.3").id
    with pytest.raises(AuthenticationFailed) as refused:
        verifier.verify(plaintext, ip="192.0.2.1")
    assert refused.value.code == "FORBIDDEN_IP"


def test_a_malformed_key_never_reaches_the_platform(live_platform: str, verifier_key: str) -> None:
    verifier, counted = make_verifier(live_platform, verifier_key)
    for bad in ("", "nope", "ak_live_short", "ak_live_" + "x" * 46 + "\n", "a" * 10_000):
        with pytest.raises(AuthenticationFailed):
            verifier.verify(bad)
    assert counted.sent == 0


def test_a_wrong_service_key_or_a_platform_that_is_down_is_unavailable_not_invalid(
    live_platform: str, make_key: Any
) -> None:
    _, without_scope = make_key(scopes=["orders:read"])
    _, plaintext = make_key()
    with pytest.raises(PlatformUnavailable, match="403"):
        make_verifier(live_platform, without_scope)[0].verify(plaintext)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(PlatformUnavailable):
        make_verifier(f"http://127.0.0.1:{port}", without_scope)[0].verify(plaintext)


def test_with_a_shared_store_an_invalidation_heard_by_one_process_reaches_the_others(
    live_platform: str, verifier_key: str, make_key: Any, alice: Any
) -> None:
    from keyhouse_client.django_settings import CacheInvalidations

    key, plaintext = make_key()
    shared = CacheInvalidations("default", prefix="khtest-kit:")
    heard, other = (make_verifier(live_platform, verifier_key, ttl=60, shared=shared)[0] for _ in range(2))
    heard.verify(plaintext)
    other.verify(plaintext)
    key_revoke(key=key, actor=alice)
    heard.invalidate(key.id)  # only this process received the webhook
    with pytest.raises(AuthenticationFailed):
        other.verify(plaintext)
