"""Keys in use are re-read in one batch before their cache entries run out (keys.apikeys.cache._revalidate).

Entry ages are moved back by hand (`age`), not by waiting or travelling: the cache's clock is
CLOCK_MONOTONIC, which the listener's heartbeat also reads, so moving the clock itself would also
end the heartbeat's proof and put the cache into strict mode.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from keys.apikeys import cache as cache_module
from keys.apikeys.cache import key_cache, stats
from keys.models import APIKey

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.company_api")]


def queries(api, plaintext: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        status = api.get("/orders", HTTP_X_API_KEY=plaintext).status_code
    return status, len(ctx.captured_queries)


def age(key_id: str, share: float) -> None:
    """Make the entry of `key_id` older by `share` of an entry's lifetime."""
    lifetime = key_cache._ttl()
    assert lifetime is not None
    key_cache._entries[key_id].loaded_at -= share * lifetime


@pytest.fixture(autouse=True)
def long_lifetime(settings):  # type: ignore[no-untyped-def]
    """A minute, with Redis or without, so the time the requests themselves take never ages an entry much."""
    settings.KEYS_CACHE_TTL = 60.0
    settings.KEYS_CACHE_MAX_STALENESS = 60.0


@pytest.fixture
def in_use(api, make_key):  # type: ignore[no-untyped-def]
    """Three keys, each loaded and then used once more from the cache."""
    keys = [make_key() for _ in range(3)]
    assert key_cache.caught_up()  # subscribed (with Redis), so the loads below are kept
    for _, plaintext in keys:
        assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    for _, plaintext in keys:
        assert queries(api, plaintext) == (200, 0)
    return keys


def test_keys_in_use_are_reread_in_one_query_and_never_run_out(api, in_use) -> None:  # type: ignore[no-untyped-def]
    for key, _ in in_use:
        age(key.pk, 0.6)
    before = stats()["revalidations"]
    assert queries(api, in_use[0][1]) == (200, 1)  # one query for all three
    assert stats()["revalidations"] == before + 3
    for key, _ in in_use:
        age(key.pk, 0.45)  # 1.05 lifetimes after the first read: expired, had it not been renewed
    for _, plaintext in in_use:
        assert queries(api, plaintext) == (200, 0)


def test_a_row_changed_without_an_invalidation_is_dropped_at_the_reread(api, in_use) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = in_use[0]
    APIKey.objects.filter(pk=key.pk).update(status="revoked")  # no signal, so nothing is published
    assert queries(api, plaintext) == (200, 0)  # within its lifetime the entry is trusted
    age(key.pk, 0.6)
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401
    assert api.get("/orders", HTTP_X_API_KEY=in_use[1][1]).status_code == 200


def test_a_deleted_key_is_dropped_at_the_reread(api, in_use) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = in_use[0]
    APIKey.objects.filter(pk=key.pk)._raw_delete(APIKey.objects.db)  # no signal
    age(key.pk, 0.6)
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 401


def test_an_entry_not_used_since_its_read_is_left_to_run_out(api, make_key, in_use) -> None:  # type: ignore[no-untyped-def]
    idle, plaintext = make_key()
    assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200  # loaded, never used from the cache
    age(idle.pk, 0.6)
    age(in_use[0][0].pk, 0.6)
    before = stats()["revalidations"]
    assert queries(api, in_use[0][1]) == (200, 1)
    assert stats()["revalidations"] == before + 1
    age(idle.pk, 0.45)
    assert queries(api, plaintext) == (200, 1)  # ran out: read again


def test_sweeps_are_at_most_a_quarter_lifetime_apart(api, in_use) -> None:  # type: ignore[no-untyped-def]
    age(in_use[0][0].pk, 0.6)
    assert queries(api, in_use[0][1]) == (200, 1)
    age(in_use[1][0].pk, 0.6)
    assert queries(api, in_use[1][1]) == (200, 0)  # the next sweep is not due yet
    key_cache._next_sweep = 0.0
    assert queries(api, in_use[1][1]) == (200, 1)


def test_an_invalidation_during_the_reread_renews_nothing(api, in_use, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real_rows = cache_module.lookup.rows

    def rows_then_invalidated(ids):  # type: ignore[no-untyped-def]
        result = real_rows(ids)
        key_cache.apply(f"k:{in_use[2][0].pk}")  # another process's change, heard while the rows were read
        return result

    monkeypatch.setattr(cache_module.lookup, "rows", rows_then_invalidated)
    age(in_use[0][0].pk, 0.6)
    loaded_at = key_cache._entries[in_use[0][0].pk].loaded_at
    assert api.get("/orders", HTTP_X_API_KEY=in_use[0][1]).status_code == 200
    assert key_cache._entries[in_use[0][0].pk].loaded_at == loaded_at


def test_a_database_error_during_the_reread_leaves_entries_to_run_out(api, in_use, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken(ids):  # type: ignore[no-untyped-def]
        raise DatabaseError("connection refused")

    monkeypatch.setattr(cache_module.lookup, "rows", broken)
    age(in_use[0][0].pk, 0.6)
    assert api.get("/orders", HTTP_X_API_KEY=in_use[0][1]).status_code == 200
    assert "could not revalidate" in caplog.text
    assert in_use[0][0].secret_hash.split("$")[-1] not in caplog.text  # the cached rows' digests never reach a log
    assert in_use[0][1] not in caplog.text
    monkeypatch.undo()
    age(in_use[0][0].pk, 0.45)
    assert queries(api, in_use[0][1]) == (200, 1)  # ran out: read again


# --- the checksum of a cached key (keys.apikeys.verification.key_check) ----------------------------


def _with_bad_checksum(plaintext: str) -> str:
    last = plaintext[-1]
    return plaintext[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize("cached", [True, False])
def test_a_wrong_checksum_is_malformed_whether_or_not_the_key_is_cached(in_use, make_key, cached) -> None:  # type: ignore[no-untyped-def]
    from keys.apikeys.verification import Code, key_check
    from keys.usage import recorder

    plaintext = in_use[0][1] if cached else make_key()[1]
    recorder.drain()
    with CaptureQueriesContext(connection) as ctx:
        assert key_check(_with_bad_checksum(plaintext), ip="127.0.0.1").code is Code.MALFORMED
    assert len(ctx.captured_queries) == 0
    _, failures, _ = recorder.drain()
    assert not failures  # a malformed key is not counted against the key id


def test_a_cached_key_of_another_environment_with_a_wrong_checksum_is_malformed(in_use) -> None:  # type: ignore[no-untyped-def]
    from keys.apikeys.verification import Code, key_check

    other_env = _with_bad_checksum(in_use[0][1].replace("_live_", "_test_", 1))
    assert key_check(other_env, ip="127.0.0.1").code is Code.MALFORMED


def test_usage_bookkeeping_does_not_drop_an_entry_at_the_reread(api, in_use) -> None:  # type: ignore[no-untyped-def]
    """The usage roll-up moves last_used_at/last_used_ip forward every second; verification never reads them."""
    from django.utils import timezone

    key, plaintext = in_use[0]
    APIKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now(), last_used_ip="192.0.2.7")
    age(key.pk, 0.6)
    before = stats()["revalidations"]
    assert queries(api, plaintext) == (200, 1)
    assert stats()["revalidations"] > before
    assert queries(api, plaintext) == (200, 0)  # still cached
