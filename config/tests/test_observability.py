"""Request ids, the request log, /metrics and its series, and the proof that no secret reaches a log line.

The log tests write through the console handler that LOGGING configures (filters and JSON formatter
as deployed), pointed at a buffer, while real requests carry real secrets.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from conftest import PASSWORD, key_client
from lib import metrics

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the deployed console handler (LOGGING's filters and JSON formatter) writes during the test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    previous_stream = handler.setStream(buffer)  # type: ignore[attr-defined]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.setLevel(level)
        handler.setStream(previous_stream)  # type: ignore[attr-defined]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_id_is_honoured_when_valid_and_replaced_when_not(client: Any) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-12345678")["X-Request-ID"] == "abc-12345678"
    for bad in ("short", "x" * 200, "evil\nline-injected", "has space 12345"):
        echoed = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_no_secret_reaches_a_log_line(
    client: Any, make_key: Any, alice: Any, hook: Any, log_output: io.StringIO
) -> None:
    from keys.services import key_revoke
    from webhooks.services.endpoints import endpoint_secrets

    key, plaintext = make_key()
    revoked, revoked_plaintext = make_key()
    key_revoke(key=revoked, actor=alice)
    # The public part (prefix, environment, id) may be logged; what follows it may not.
    secrets = [
        plaintext[-38:],
        revoked_plaintext[-38:],
        PASSWORD,
        *(s.split("_", 1)[1] for s in endpoint_secrets(hook)),
    ]

    assert key_client(plaintext).get("/api/v1/whoami", HTTP_X_REQUEST_ID="req-key-0001").status_code == 200
    assert key_client(revoked_plaintext).get("/api/v1/whoami").status_code == 401
    # A key in the query string (never read by us) still must not be logged.
    client.get(f"/api/v1/whoami?api_key={plaintext}")
    failed_login = client.post("/login/", {"username": "alice@example.com", "password": PASSWORD + "-wrong"})
    assert failed_login.status_code == 200
    client.post("/password-reset/", {"email": "alice@example.com"})
    # Code that forgets itself: a secret as an argument, in an extra field, in an exception.
    logging.getLogger("keys.auth").warning("a careless line with %s", plaintext, extra={"password": PASSWORD})
    try:
        raise RuntimeError(f"failed while holding {plaintext} and {endpoint_secrets(hook)[0]}")
    except RuntimeError:
        logging.getLogger("keyhouse.test").exception("and an exception with it")

    text = log_output.getvalue()
    assert text.count("\n") >= 8, text
    for secret in secrets:
        assert secret not in text
    records = [json.loads(line) for line in text.splitlines()]
    requests = [r for r in records if r["logger"] == "keyhouse.request"]
    whoami = next(r for r in requests if r["request_id"] == "req-key-0001")
    assert whoami["credential_kind"] == "api_key" and whoami["credential_id"] == key.id
    assert whoami["status"] == 200 and whoami["message"] == "GET /api/v1/whoami 200"
    assert any(r["message"] == f"a careless line with {plaintext[:-38]}[redacted]" for r in records)
    assert any("whsec_[redacted]" in r.get("exc_info", "") for r in records)
    assert all(r["request_id"] for r in requests)


def test_verifications_are_counted_by_kind_and_outcome(make_key: Any) -> None:
    _, plaintext = make_key()
    before_valid = sample("keyhouse_verifications_total", kind="api_key", outcome="valid")
    before_invalid = sample("keyhouse_verifications_total", kind="api_key", outcome="invalid")
    before_timed = sample("keyhouse_verification_seconds_count", kind="api_key")
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 200
    assert key_client(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")).get("/api/v1/whoami").status_code == 401
    assert sample("keyhouse_verifications_total", kind="api_key", outcome="valid") == before_valid + 1
    assert sample("keyhouse_verifications_total", kind="api_key", outcome="invalid") == before_invalid + 1
    assert sample("keyhouse_verification_seconds_count", kind="api_key") == before_timed + 2


def test_metrics_needs_the_token(client: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = "scrape-token-123"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123")
    assert response.status_code == 200
    body = response.content.decode()
    for series in (
        "keyhouse_verifications_total",
        "keyhouse_verification_seconds_bucket",
        'keyhouse_webhook_attempts_total{outcome="failed"}',
        'keyhouse_webhook_backlog{state="pending"} 0.0',
        "keyhouse_celery_queue_length",
        'keyhouse_anomaly_alerts_total{kind="spike"}',
        'keyhouse_oauth_tokens_issued_total{grant="client_credentials"}',
    ):
        assert series in body, series


def test_webhook_attempts_and_alerts_are_counted(hook: Any, make_key: Any) -> None:
    from django.utils import timezone

    from monitoring.models import Alert
    from webhooks.models import Attempt, Delivery, Message

    message = Message.objects.create(organization=hook.organization, event_type="key.created", payload="{}")
    delivery = Delivery.objects.create(message=message, endpoint=hook)
    before = sample("keyhouse_webhook_attempts_total", outcome="succeeded")
    Attempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), succeeded=True, status_code=204)
    assert sample("keyhouse_webhook_attempts_total", outcome="succeeded") == before + 1
    assert sample("keyhouse_webhook_backlog", state="pending") == 0  # scrape-time gauges are not in REGISTRY
    assert b'keyhouse_webhook_backlog{state="pending"} 1.0' in metrics.render()

    key, _ = make_key()
    before = sample("keyhouse_anomaly_alerts_total", kind="spike")
    Alert.objects.create(organization=key.organization, key=key, kind="spike", hour=timezone.now(), observed=500)
    assert sample("keyhouse_anomaly_alerts_total", kind="spike") == before + 1


def test_stats_providers_become_cache_counters() -> None:
    counts = {"hits": 3, "misses": 1}
    metrics.register_stats_provider("test-cache", lambda: counts)
    try:
        metrics.sync_stats(force=True)
        before = sample("keyhouse_cache_events_total", cache="test-cache", event="hit")
        counts["hits"] = 10
        counts["invalidations"] = 2
        metrics.sync_stats(force=True)
        assert sample("keyhouse_cache_events_total", cache="test-cache", event="hit") == before + 7
        assert sample("keyhouse_cache_events_total", cache="test-cache", event="invalidation") == 2
    finally:
        metrics._stats_providers.pop("test-cache")


def test_the_key_cache_counts_reach_the_metrics(make_key) -> None:  # type: ignore[no-untyped-def]
    from keys.apikeys.cache import key_cache

    _, plaintext = make_key()
    assert key_cache.caught_up()
    metrics.sync_stats(force=True)
    hits, misses = (sample("keyhouse_cache_events_total", cache="keys", event=e) for e in ("hit", "miss"))
    client = key_client(plaintext)
    for _ in range(3):
        assert client.get("/api/v1/whoami").status_code == 200
    metrics.sync_stats(force=True)
    assert sample("keyhouse_cache_events_total", cache="keys", event="miss") >= misses + 1
    assert sample("keyhouse_cache_events_total", cache="keys", event="hit") >= hits + 2


def test_celery_task_durations_are_recorded(eager_celery: None) -> None:
    from webhooks.tasks import sweep

    before = sample("keyhouse_celery_task_seconds_count", task="webhooks.tasks.sweep", state="SUCCESS")
    sweep.delay()
    assert sample("keyhouse_celery_task_seconds_count", task="webhooks.tasks.sweep", state="SUCCESS") == before + 1


@pytest.fixture
def hook(org: Any, alice: Any, settings: Any) -> Any:
    from webhooks.services.endpoints import endpoint_create

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    return endpoint_create(organization=org, actor=alice, url="http://127.0.0.1:9/hook")[0]


def test_a_gauge_that_cannot_be_read_does_not_break_the_scrape() -> None:
    def broken() -> list[tuple[dict[str, str], float]]:
        raise ConnectionError("broker down")

    metrics.register_gauge("keyhouse_test_broken", "A reader that fails.", (), broken)
    try:
        body = metrics.render()
    finally:
        metrics._gauges.pop("keyhouse_test_broken")
    assert b"keyhouse_test_broken" not in body and b"keyhouse_webhook_backlog" in body
