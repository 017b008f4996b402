from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keys.models import APIKey
from keys.services import client_certificate_register, signing_secret_create
from keys.tests.pki import make_cert
from keys.usage import PENDING_REQUESTS, recorder
from lib.redis import get_redis, namespaced
from monitoring.models import UsageBucket, UsageRollupBatch
from monitoring.services import usage_rollup

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.company_api")]


def totals(key: APIKey) -> tuple[int, int]:
    rows = UsageBucket.objects.filter(key=key)
    return sum(r.requests for r in rows), sum(r.failures for r in rows)


def test_counting_usage_adds_no_query_to_the_request(api, make_key, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_CACHE = "strict"  # one lookup per request, so any query counting added would show
    _, plaintext = make_key()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert api.get("/orders", HTTP_X_API_KEY=plaintext).status_code == 200
    assert len(queries) == 3  # the one lookup per request, nothing for counting


def test_counts_reach_hourly_buckets_and_last_used(api, make_key, settings) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    for _ in range(3):
        api.get("/orders", HTTP_X_API_KEY=plaintext, REMOTE_ADDR="203.0.113.5")
    from keys.apikeys import tokens

    api.get("/orders", HTTP_X_API_KEY=tokens.build("ak", "live", key.id))  # right id, wrong secret
    recorder.flush()
    usage_rollup()
    key.refresh_from_db()
    assert totals(key) == (3, 1)
    assert key.last_used_ip == "203.0.113.5" and key.last_used_at is not None


@pytest.mark.redis
def test_rollup_never_counts_a_batch_twice(api, make_key) -> None:  # type: ignore[no-untyped-def]
    client = get_redis()
    if client is None:
        pytest.skip("needs REDIS_URL (runs in CI)")
    key, plaintext = make_key()
    api.get("/orders", HTTP_X_API_KEY=plaintext)
    api.get("/orders", HTTP_X_API_KEY=plaintext)
    recorder.flush()
    assert client.hlen(namespaced(PENDING_REQUESTS)) == 1
    # Simulate a roll-up that applied its batch and died before deleting it from Redis.
    client.rename(namespaced(PENDING_REQUESTS), namespaced(f"{PENDING_REQUESTS}:batch:crashed"))
    UsageRollupBatch.objects.create(batch_id="crashed")
    from monitoring.services.usage import usage_apply

    usage_apply(requests={(key.id, _hour()): 2}, failures={}, last_used={})
    usage_rollup()  # the retry sees the crashed batch was applied and only cleans it up
    assert totals(key) == (2, 0)
    assert not list(client.scan_iter(match=namespaced("usage:*")))
    api.get("/orders", HTTP_X_API_KEY=plaintext)
    recorder.flush()
    usage_rollup()
    assert totals(key) == (3, 0)


def _hour() -> int:
    import time

    return int(time.time() // 3600) * 3600


def test_counts_survive_a_failed_flush(make_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    recorder.record(key.id, "192.0.2.1", ok=True)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("sink down")

    monkeypatch.setattr("keys.usage._direct_sink", broken)  # the sink monitoring installed in ready()
    monkeypatch.setattr("keys.usage.get_redis", lambda: None)
    with pytest.raises(ConnectionError):
        recorder.flush()
    monkeypatch.undo()
    monkeypatch.setattr("keys.usage.get_redis", lambda: None)
    recorder.flush()
    assert totals(key) == (1, 0)


def test_last_used_only_moves_forward(make_key) -> None:  # type: ignore[no-untyped-def]
    from monitoring.services.usage import usage_apply

    one, _ = make_key()
    two, _ = make_key()
    usage_apply(
        requests={}, failures={}, last_used={one.id: (2_000_000_000.0, "192.0.2.1"), two.id: (1_000_000_000.0, "")}
    )
    usage_apply(
        requests={},
        failures={},
        last_used={one.id: (1_500_000_000.0, "192.0.2.9"), two.id: (1_100_000_000.0, "2001:db8::1")},
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert (int(one.last_used_at.timestamp()), one.last_used_ip) == (2_000_000_000, "192.0.2.1")
    assert (int(two.last_used_at.timestamp()), two.last_used_ip) == (1_100_000_000, "2001:db8::1")


def test_usage_moves_last_used_forward_for_the_other_kinds(org, alice) -> None:  # type: ignore[no-untyped-def]
    created, _ = signing_secret_create(
        organization=org, actor=alice, name="S", scopes=["orders:write"], environment="test"
    )
    cert = client_certificate_register(
        organization=org, actor=alice, name="P", scopes=["orders:read"], certificate_pem=make_cert("u").pem
    )
    now = time.time()
    from monitoring.services.usage import usage_apply

    usage_apply(
        requests={(f"hs:{created.pk}", 0): 3},
        failures={},
        last_used={f"hs:{created.pk}": (now, "192.0.2.1"), f"cc:{cert.pk}": (now, "192.0.2.2"), "zz:nope": (now, "")},
    )
    created.refresh_from_db()
    cert.refresh_from_db()
    assert created.last_used_ip == "192.0.2.1" and created.last_used_at is not None
    assert cert.last_used_ip == "192.0.2.2"
