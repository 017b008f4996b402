"""Source networks per key and hour, and refused attempts from outside the allowed networks: counted in
process (no query on the request path), flushed and rolled up with the usage counts, never lost or doubled."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keys.usage import recorder, source_network
from lib.redis import get_redis, namespaced
from monitoring.models import UsageBucket, UsageNetwork
from monitoring.services import usage_rollup

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.company_api")]


def seen(key):  # type: ignore[no-untyped-def]
    return {
        (n.network, n.requests, n.blocked)
        for n in UsageNetwork.objects.filter(key=key).only("network", "requests", "blocked")
    }


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:192.0.2.9", "192.0.2.0/24"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_source_networks_are_slash_24_and_slash_48(ip, network) -> None:  # type: ignore[no-untyped-def]
    assert source_network(ip) == network


def test_requests_and_blocked_attempts_are_noted_per_network_without_a_query(
    api, make_key, monkeypatch, settings
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("keys.usage.get_redis", lambda: None)  # the embedded set-up: flush straight to the database
    settings.KEYS_CACHE = "strict"  # one lookup per request, so any query noting networks added would show
    open_key, open_plain = make_key(name="open")
    fenced, fenced_plain = make_key(name="fenced", allowed_networks=["10.0.0.0/8"])
    with CaptureQueriesContext(connection) as queries:
        for ip in ("203.0.113.5", "203.0.113.250", "2001:db8:1:2::9"):
            assert api.get("/orders", HTTP_X_API_KEY=open_plain, REMOTE_ADDR=ip).status_code == 200
        assert api.get("/orders", HTTP_X_API_KEY=fenced_plain, REMOTE_ADDR="198.51.100.4").status_code == 401
        assert api.get("/orders", HTTP_X_API_KEY=fenced_plain, REMOTE_ADDR="10.1.2.3").status_code == 200
    # One lookup per request; counting and noting networks add nothing (the refusal's brute-force
    # counter is the foundation's, not ours, and touches only the cache).
    assert len([q for q in queries.captured_queries if "keys_apikey" in q["sql"]]) == 5
    assert not [q for q in queries.captured_queries if "usagenetwork" in q["sql"].lower()]
    recorder.flush()
    assert seen(open_key) == {("203.0.113.0/24", 2, 0), ("2001:db8:1::/48", 1, 0)}
    assert seen(fenced) == {("198.51.100.0/24", 0, 1), ("10.1.2.0/24", 1, 0)}
    recorder.flush()  # nothing pending: nothing added
    assert seen(open_key) == {("203.0.113.0/24", 2, 0), ("2001:db8:1::/48", 1, 0)}


def test_networks_survive_a_failed_flush(make_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    monkeypatch.setattr("keys.usage.get_redis", lambda: None)
    recorder.record(key.id, "192.0.2.1", ok=True)
    import keys.usage as usage_module

    real = usage_module._direct_sink

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("sink down")

    monkeypatch.setattr(usage_module, "_direct_sink", broken)  # the sink monitoring installed in ready()
    with pytest.raises(ConnectionError):
        recorder.flush()
    monkeypatch.setattr(usage_module, "_direct_sink", real)
    recorder.record(key.id, "192.0.2.2", ok=True)
    recorder.flush()
    assert seen(key) == {("192.0.2.0/24", 2, 0)}


@pytest.mark.redis
def test_a_rollup_that_crashes_halfway_loses_and_doubles_nothing(api, make_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    client = get_redis()
    if client is None:
        pytest.skip("needs REDIS_URL (runs in CI)")
    key, plaintext = make_key()
    for ip in ("203.0.113.5", "203.0.113.6", "198.51.100.1"):
        api.get("/orders", HTTP_X_API_KEY=plaintext, REMOTE_ADDR=ip)
    recorder.flush()
    assert client.hlen(namespaced("usage:nets")) == 2

    import monitoring.services.usage as usage_module

    real = usage_module.usage_apply

    def crash(**kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database went away mid roll-up")

    monkeypatch.setattr(usage_module, "usage_apply", crash)
    with pytest.raises(ConnectionError):
        usage_rollup()  # the batch was renamed away from the live keys, then the database write failed
    assert not UsageNetwork.objects.exists()
    assert list(client.scan_iter(match=namespaced("usage:nets:batch:*")))  # still in Redis, not lost
    monkeypatch.setattr(usage_module, "usage_apply", real)
    api.get("/orders", HTTP_X_API_KEY=plaintext, REMOTE_ADDR="203.0.113.7")
    recorder.flush()
    usage_rollup()
    usage_rollup()
    assert seen(key) == {("203.0.113.0/24", 3, 0), ("198.51.100.0/24", 1, 0)}
    assert sum(UsageBucket.objects.filter(key=key).values_list("requests", flat=True)) == 4
    assert not list(client.scan_iter(match=namespaced("usage:*")))
