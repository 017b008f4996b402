"""End to end with a real Celery worker on Redis and PostgreSQL: publish on commit, deliver, retry, disable.

The worker is `celery -A config worker` in a subprocess, pointed at pytest-django's test database
(`test_<name>`, shared because this test commits: transactional_db) and at the Redis broker. Its
retry schedule is shortened to one second through WEBHOOK_RETRY_SCHEDULE so the test runs in seconds,
and loopback is *not* allowed: only 127.0.0.0/8 is opened (WEBHOOK_ALLOWED_NETWORKS) for the test
receiver, so the worker's SSRF guard still refuses `[::1]`, `10.0.0.1` and `169.254.169.254`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from conftest import login
from keys.services import key_create
from lib.tests.celery_worker import celery_worker, wait_for
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, DisabledReason
from webhooks.tests.helpers import Reply, pg_dump_text

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def _celery_eager() -> Iterator[None]:
    """Overrides the inline-task fixture: here tasks really go through the broker to the worker."""
    yield


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Path]:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (runs in CI)")
    log = tmp_path / "worker.log"
    env = {
        "WEBHOOK_ALLOW_LOOPBACK": "0",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "WEBHOOK_REQUIRE_HTTPS": "0",
        "WEBHOOK_RETRY_SCHEDULE": "1,1,1,1",
    }
    with celery_worker(env=env, log=log):
        yield log


def test_a_real_worker_delivers_retries_honours_retry_after_disables_on_410_and_guards_ssrf(  # type: ignore[no-untyped-def]
    worker, receiver, make_endpoint, org, alice, charlie, settings
) -> None:
    only_keys = ["key.created"]
    ok, first_secret = make_endpoint(path="/ok", event_types=only_keys)
    ok_secret, _ = services.endpoint_secret_rotate(endpoint=ok, actor=alice, grace=timedelta(hours=1))
    flaky, flaky_secret = make_endpoint(path="/flaky", event_types=only_keys)
    busy, _ = make_endpoint(path="/busy", event_types=only_keys)
    gone, _ = make_endpoint(path="/gone", event_types=only_keys)
    # Registered while these ranges were open here (as a host name that later resolves inside would be);
    # the worker, which does not open them, must refuse at connect time.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "169.254.0.0/16"]
    internal = [
        make_endpoint(url=url, event_types=only_keys)[0]
        for url in (
            "http://10.0.0.1:18499/hook",
            "http://169.254.169.254/latest/meta-data",
            f"http://[::1]:{receiver.port}/hook",
        )
    ]
    receiver.respond(500, path="/flaky")
    receiver.respond(Reply(503, headers={"Retry-After": "3"}), path="/busy")
    receiver.respond(410, path="/gone")

    key, plaintext = key_create(organization=org, actor=alice, name="e2e", scopes=["orders:read"])

    def settled() -> bool:
        states = dict(Delivery.objects.values_list("endpoint_id", "status"))
        tried = Delivery.objects.filter(endpoint__in=internal, attempt_count__gte=1).count()
        return tried == len(internal) and {e: states.get(e) for e in (ok.id, flaky.id, busy.id, gone.id)} == {
            ok.id: DeliveryStatus.SUCCEEDED,
            flaky.id: DeliveryStatus.SUCCEEDED,
            busy.id: DeliveryStatus.SUCCEEDED,
            gone.id: DeliveryStatus.FAILED,
        }

    wait_for(settled, receiver, worker)

    # Delivered and verified with standardwebhooks, with either secret of the rotation.
    [delivered] = receiver.on("/ok")
    assert len(delivered.headers["webhook-signature"].split(" ")) == 2
    for secret in (first_secret, ok_secret):
        event = Webhook(secret).verify(delivered.body, delivered.headers)
        assert event["type"] == "key.created" and event["data"]["key"]["id"] == key.id
    assert plaintext[16:48].encode() not in delivered.body

    first, second = receiver.on("/flaky")  # 500, then 200 on the retry, same webhook-id
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivered.headers["webhook-id"]
    assert Webhook(flaky_secret).verify(second.body, second.headers)["type"] == "key.created"

    busy_delivery = Delivery.objects.get(endpoint=busy)
    refused, accepted = busy_delivery.attempts.order_by("number")[:2]
    assert (refused.status_code, accepted.status_code) == (503, 200)
    # The schedule said 1 s; the receiver's Retry-After said 3 s, and the retry waited for it.
    assert (refused.next_retry_at - refused.started_at).total_seconds() >= 3
    assert accepted.started_at >= refused.next_retry_at

    gone.refresh_from_db()
    assert not gone.is_enabled and gone.disabled_reason == DisabledReason.GONE
    assert len(receiver.on("/gone")) == 1

    for endpoint in internal:  # refused by the guard before any connection, never reached
        attempt = Delivery.objects.get(endpoint=endpoint).attempts.order_by("number").first()
        assert attempt.status_code is None and "private or internal address" in attempt.error, attempt.error
    assert all(r.path in ("/ok", "/flaky", "/busy", "/gone") for r in receiver.requests)

    # An outsider cannot see the endpoints or their deliveries.
    outsider = APIClient()
    login(outsider, charlie)
    message_id = delivered.headers["webhook-id"]
    for path in (
        f"/endpoints/{ok.id}",
        f"/endpoints/{ok.id}/deliveries/",
        f"/endpoints/{ok.id}/deliveries/{message_id}",
    ):
        assert outsider.get(f"/api/v1/webhooks{path}").status_code == 404
    assert outsider.get(f"/api/v1/webhooks/endpoints/?organization={org.slug}").status_code == 404

    # A duplicate of a finished task (as a redelivery would be) sends nothing more.
    from webhooks.tasks import deliver

    before = len(receiver.on("/ok"))
    deliver.delay(Delivery.objects.get(endpoint=ok).pk)
    message = services.endpoint_send_test(endpoint=ok, actor=alice)  # something to wait for behind it
    wait_for(
        lambda: Delivery.objects.filter(message=message, status=DeliveryStatus.SUCCEEDED).exists(), receiver, worker
    )
    assert len(receiver.on("/ok")) == before + 1 and receiver.on("/ok")[-1].json()["type"] == "webhook.test"

    # Nothing in a dump of the database the worker wrote to holds a signing secret.
    if shutil.which("pg_dump"):
        dump = pg_dump_text()
        assert ok.id in dump
        for secret in (first_secret, ok_secret, flaky_secret):
            assert secret.removeprefix("whsec_") not in dump
