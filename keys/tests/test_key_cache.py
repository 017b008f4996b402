"""The warm verification path (KEYS_CACHE=on): a warm key costs no query, and nothing that makes a key
stop working is served from the cache past the bound (keys.apikeys.cache, docs/api-keys.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership
from keys.apikeys.cache import key_cache, stats
from keys.models import APIKey
from keys.services import key_disable, key_revoke, key_update
from lib.redis import get_redis, namespaced

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.company_api")]


def queries(api, plaintext: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(status, SQL queries) of one authenticated request."""
    with CaptureQueriesContext(connection) as ctx:
        status = api.get("/orders", HTTP_X_API_KEY=plaintext).status_code
    return status, len(ctx.captured_queries)


@pytest.fixture
def warm(api, make_key):  # type: ignore[no-untyped-def]
    """A key that has been verified once, so this process holds it (and hears invalidations, with Redis)."""
    key, plaintext = make_key()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert key_cache.caught_up()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    return key, plaintext


def test_a_warm_key_costs_no_query(api, warm) -> None:  # type: ignore[no-untyped-def]
    before = stats()["hits"]
    assert queries(api, warm[1]) == (200, 0)
    assert stats()["hits"] == before + 1
    assert stats()["mode"] in ("on", "local")


def test_strict_reads_the_database_on_every_request(api, warm, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_CACHE = "strict"
    assert queries(api, warm[1]) == (200, 1)
    assert stats()["mode"] == "strict"


@pytest.mark.parametrize("change", ["revoke", "disable", "networks", "delete"])
def test_every_change_that_stops_a_key_drops_it(api, warm, alice, change) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = warm
    if change == "revoke":
        key_revoke(key=key, actor=alice)
    elif change == "disable":
        key_disable(key=key, actor=alice)
    elif change == "networks":
        key_update(key=key, actor=alice, allowed_networks=["10.0.0.0/8"])
    else:
        APIKey.objects.get(pk=key.pk).delete()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401


def test_a_narrowed_scope_takes_effect_on_the_next_request(api, make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(scopes=["orders:read", "customers:read"])
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert key_cache.caught_up()
    assert queries(api, plaintext) == (200, 0)
    key_update(key=key, actor=alice, scopes=["customers:read"])
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 403


def test_organization_and_membership_changes_drop_its_keys(api, bob, org, warm) -> None:  # type: ignore[no-untyped-def]
    for change in (lambda: org.save(), lambda: Membership.objects.get(user=bob, organization=org).delete()):
        assert queries(api, warm[1]) == (200, 0)
        change()
        assert queries(api, warm[1]) == (200, 1)  # read again from the database


def test_expiry_is_exact_on_a_cached_key(api, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(expires_at=timezone.now() + timedelta(minutes=1))
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert key_cache.caught_up()
    assert queries(api, plaintext) == (200, 0)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401


def test_the_cache_is_bounded_and_least_recently_used_goes_first(api, make_key, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_CACHE_SIZE = 2
    keys = [make_key()[1] for _ in range(3)]
    assert api.get("/orders", HTTP_X_API_KEY=keys[0]).status_code == 200
    assert key_cache.caught_up()
    for plaintext in keys:
        assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert stats()["entries"] == 2
    assert queries(api, keys[2]) == (200, 0)
    assert queries(api, keys[0]) == (200, 1)


def test_a_load_that_overlapped_an_invalidation_is_not_stored(make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    assert key_cache.caught_up()
    token = key_cache.token()
    key_cache.apply(f"k:{key.pk}")  # another process revoked it while we were reading the old row
    key_cache.put(key, token)
    assert key_cache.get(key.pk) is None


def test_callers_get_a_private_copy(api, warm) -> None:  # type: ignore[no-untyped-def]
    key_id = warm[0].pk
    first = key_cache.get(key_id)
    assert first is not None
    first.status = "revoked"
    second = key_cache.get(key_id)
    assert second is not None and second.status == "active"


# --- with Redis: other processes' invalidations and the strict fallback ----------------------------


def _kill_listener() -> None:
    """Cut this process's subscription the way a network failure would (only our own connection)."""
    client = get_redis()
    listener = key_cache._listener
    assert client is not None and listener is not None and listener.client_name
    entries: list[dict[str, str]] = client.client_list()  # type: ignore[assignment]
    ours = [entry["id"] for entry in entries if entry.get("name") == listener.client_name]
    assert ours, "the listener's connection is not in CLIENT LIST"
    for client_id in ours:
        client.client_kill_filter(_id=client_id)


@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_an_invalidation_from_another_process_drops_the_entry(api, warm) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = warm
    APIKey.objects.filter(pk=key.pk).update(status="revoked")  # as another node's revoke: no local signal
    assert queries(api, plaintext) == (200, 0)  # still cached: nothing said otherwise
    other = redis.Redis.from_url(settings.REDIS_URL)
    channel = namespaced(f"{other.connection_pool.connection_kwargs.get('db', 0)}:keys:cache")
    assert other.publish(channel, f"k:{key.pk}") >= 1
    assert key_cache.caught_up()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401


@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_a_lost_subscription_falls_back_to_strict_until_resubscribed(api, warm) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = warm
    subscriptions = stats()["resubscriptions"]
    _kill_listener()
    APIKey.objects.filter(pk=key.pk).update(status="disabled")  # published while we could not hear it
    # Until the listener is back and has dropped every entry, the database decides. A PONG already in
    # flight when the connection was cut can still be read first, so wait (heartbeat by heartbeat, on
    # the listener's condition, not a sleep) until the new subscription is confirmed.
    for _ in range(40):
        assert key_cache.caught_up(timeout=10)
        if stats()["resubscriptions"] > subscriptions:
            break
    assert stats()["resubscriptions"] > subscriptions
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401


@pytest.mark.redis
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_a_clock_that_jumps_does_not_end_the_heartbeat(warm) -> None:  # type: ignore[no-untyped-def]
    """time_machine patches time.monotonic in every thread (to the travelled wall-clock time), as any clock that
    jumps would: a heartbeat answered an hour ahead must neither stop the next ones nor satisfy caught_up()."""
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert key_cache.caught_up()  # a PING sent and answered while the clock is an hour ahead
    before = stats()["heartbeats"]
    assert key_cache.caught_up()
    assert stats()["heartbeats"] > before
    assert stats()["mode"] == "on"
