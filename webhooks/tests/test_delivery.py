"""Deliveries reach a real receiver on loopback, signed, retried on schedule, and never sent twice by accident."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from standardwebhooks import Webhook

from audit.models import AuditEvent
from keys.services import key_create, key_revoke
from webhooks import services, tasks
from webhooks.models import Attempt, Delivery, DeliveryStatus, DisabledReason, Endpoint, Message
from webhooks.sender import parse_retry_after
from webhooks.tests.helpers import Reply, run_due

pytestmark = pytest.mark.django_db
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def only_delivery() -> Delivery:
    return Delivery.objects.select_related("message", "endpoint").get()


def test_creating_a_key_delivers_a_signed_key_created_that_standardwebhooks_accepts(  # type: ignore[no-untyped-def]
    make_endpoint, receiver, org, alice
) -> None:
    _, secret = make_endpoint()
    key, plaintext = key_create(organization=org, actor=alice, name="Billing", scopes=["orders:read"])
    assert run_due() == 1
    [request] = receiver.requests
    event = Webhook(secret).verify(request.body, request.headers)
    assert event["type"] == "key.created"
    assert event["data"]["key"] == key.summary() and event["data"]["organization"] == org.slug
    assert set(event) == {"type", "timestamp", "data"}
    assert request.headers["webhook-id"].startswith("msg_")
    assert plaintext.encode() not in request.body and plaintext[16:48].encode() not in request.body
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.message.id == request.headers["webhook-id"]
    attempt = delivery.attempts.get()
    assert (attempt.status_code, attempt.succeeded, attempt.response_body) == (200, True, "ok")


def test_a_500_is_retried_on_the_schedule_with_the_same_webhook_id(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, secret = make_endpoint()
    receiver.respond(Reply(500, body=b"boom"))
    with time_machine.travel(START, tick=False) as clock:
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        run_due()
        delivery = only_delivery()
        assert delivery.state == "retrying" and delivery.last_status_code == 500
        wait = delivery.next_attempt_at - START
        assert timedelta(seconds=4.5) <= wait <= timedelta(seconds=5.5)  # 5 s ± 10 % jitter
        assert Attempt.objects.get().next_retry_at == delivery.next_attempt_at
        assert run_due() == 0  # not due yet
        clock.shift(timedelta(seconds=6))
        assert run_due() == 1
        first, second = receiver.requests
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 6
        assert Webhook(secret).verify(second.body, second.headers)["type"] == "webhook.test"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2
    assert [a.response_body for a in delivery.attempts.order_by("number")] == ["boom", "ok"]
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_a_receiver_down_for_hours_gets_every_event_once_it_is_back(make_endpoint, receiver, org, alice) -> None:  # type: ignore[no-untyped-def]
    make_endpoint()
    receiver.respond(*[503] * 12)  # down for the first six attempts of each of the two events
    with time_machine.travel(START, tick=False) as clock:
        key, _ = key_create(organization=org, actor=alice, name="a", scopes=["orders:read"])
        key_revoke(key=key, actor=alice)
        for _ in range(60):  # walk the clock through 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
            run_due()
            clock.shift(timedelta(minutes=30))
    assert len(receiver.requests) == 14
    assert sorted(r.json()["type"] for r in receiver.requests[-2:]) == ["key.created", "key.revoked"]
    assert Delivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2
    assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {7}


def test_the_schedule_gives_up_after_ten_attempts(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.respond(*[500] * 20)
    with time_machine.travel(START, tick=False) as clock:
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        for _ in range(12):
            run_due()
            delivery = only_delivery()
            if delivery.next_attempt_at:
                clock.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    delivery = only_delivery()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt_count == 10
    gaps = [a.next_retry_at - a.started_at for a in delivery.attempts.order_by("number") if a.next_retry_at]
    expected = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert len(gaps) == len(expected)
    for gap, seconds in zip(gaps, expected, strict=True):
        assert 0.9 * seconds <= gap.total_seconds() <= 1.1 * seconds


def test_retry_after_is_honoured(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.respond(Reply(503, headers={"Retry-After": "120"}))
    with time_machine.travel(START, tick=False) as clock:
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        run_due()
        delivery = only_delivery()
        assert timedelta(seconds=119) <= delivery.next_attempt_at - START <= timedelta(seconds=121)
        clock.shift(timedelta(seconds=60))
        assert run_due() == 0 and len(receiver.requests) == 1
        clock.shift(timedelta(seconds=61))
        assert run_due() == 1
    assert only_delivery().status == DeliveryStatus.SUCCEEDED


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    now = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Mon, 02 Jun 2025 09:10:00 GMT", now=now) == 600.0
    assert parse_retry_after("Mon, 02 Jun 2025 08:00:00 GMT", now=now) == 0.0
    for junk in (None, "", "soon", "-5", "1e9x"):
        assert parse_retry_after(junk, now=now) is None


def test_a_410_disables_the_endpoint_emails_admins_and_tells_other_endpoints(  # type: ignore[no-untyped-def]
    make_endpoint, receiver, org, alice, bob, django_capture_on_commit_callbacks
) -> None:
    gone, _ = make_endpoint(path="/gone")
    watcher, watcher_secret = make_endpoint(path="/watch", event_types=["webhook.endpoint_disabled"])
    receiver.respond(410, path="/gone")
    key_create(organization=org, actor=alice, name="a", scopes=["orders:read"])
    key_create(organization=org, actor=alice, name="b", scopes=["orders:read"])
    first = Delivery.objects.filter(endpoint=gone).earliest("id").pk
    with django_capture_on_commit_callbacks(execute=True):  # the email and the event go out on commit
        services.delivery_attempt(delivery_id=first)
    gone.refresh_from_db()
    assert not gone.is_enabled and gone.disabled_reason == DisabledReason.GONE
    assert set(Delivery.objects.filter(endpoint=gone).values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    event = AuditEvent.objects.get(action="webhook.endpoint_disabled")
    assert event.actor_label == "system" and event.metadata["reason"] == "gone"
    [notice] = receiver.on("/watch")
    body = Webhook(watcher_secret).verify(notice.body, notice.headers)
    assert body["type"] == "webhook.endpoint_disabled" and body["data"]["endpoint"]["id"] == gone.id
    assert body["data"]["reason"] == "gone"
    assert len(receiver.on("/gone")) == 1  # nothing more goes to a disabled endpoint
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]  # owners and admins, not developers
    assert gone.url in email.body and "410 Gone" in email.body


def test_an_endpoint_failing_for_five_days_is_disabled(  # type: ignore[no-untyped-def]
    make_endpoint, receiver, org, alice, django_capture_on_commit_callbacks
) -> None:
    endpoint, _ = make_endpoint()
    receiver.respond(*[500] * 200)
    with time_machine.travel(START, tick=False) as clock:
        for day in range(6):
            key_create(organization=org, actor=alice, name=f"day {day}", scopes=["orders:read"])
            for _ in range(48):
                with django_capture_on_commit_callbacks(execute=True):
                    run_due()
                clock.shift(timedelta(minutes=30))
                endpoint.refresh_from_db()
                if not endpoint.is_enabled:
                    break
            if not endpoint.is_enabled:
                break
    assert endpoint.disabled_reason == DisabledReason.FAILING
    assert timedelta(days=5) <= endpoint.disabled_at - endpoint.failing_since < timedelta(days=5, hours=1)
    assert endpoint.failing_since == START
    [email] = mail.outbox
    assert "Every delivery failed for too long" in email.body and "since 2025-06-02 09:00 UTC" in email.body
    assert Message.objects.filter(event_type="webhook.endpoint_disabled").count() == 0  # no other endpoint to tell


def test_a_duplicated_or_late_task_never_resends_a_delivered_message(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    delivery_id = only_delivery().pk
    assert services.delivery_attempt(delivery_id=delivery_id) is not None
    assert services.delivery_attempt(delivery_id=delivery_id) is None
    tasks.deliver(delivery_id)  # the task body, as a redelivered (acks_late) copy would run it
    tasks.deliver.apply(args=(delivery_id,))  # and through Celery's own task machinery
    assert len(receiver.requests) == 1


def test_two_workers_racing_for_one_delivery_send_it_once(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    delivery = only_delivery()
    release = threading.Event()
    receiver.respond(Reply(200, hold=release))
    # Worker A holds the claim while its request is in flight; worker B finds nothing to do.
    from webhooks.services.delivery import _claim

    token = _claim(delivery.pk, datetime.now(UTC))
    assert token is not None
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert services.deliveries_due() == []
    release.set()
    assert receiver.requests == []


def test_a_crashed_workers_claim_lapses_and_the_sweep_picks_the_delivery_up(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    with time_machine.travel(START, tick=False) as clock:
        services.endpoint_send_test(endpoint=endpoint, actor=alice)
        Delivery.objects.update(claimed_until=START + timedelta(seconds=60), claim_token="dead-worker")
        assert services.deliveries_due() == []
        clock.shift(timedelta(seconds=61))
        assert services.deliveries_due() == [only_delivery().pk]
        assert tasks.sweep() == 1  # queues the delivery; the task runs inline in these tests
    assert only_delivery().status == DeliveryStatus.SUCCEEDED and len(receiver.requests) == 1


def test_redirects_are_not_followed(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.respond(Reply(302, headers={"Location": receiver.url("/elsewhere")}))
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert only_delivery().state == "retrying" and only_delivery().last_status_code == 302


def test_only_the_first_bytes_of_a_response_are_read_and_kept(settings, make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    from webhooks import sender

    settings.WEBHOOK_MAX_RESPONSE_BYTES = 1000
    receiver.respond(Reply(200, body=b"x" * 1_000_000))
    result = sender.send(url=receiver.url(), headers={}, body=b"{}")
    assert result.ok and len(result.body) == 1000
    settings.WEBHOOK_MAX_RESPONSE_BYTES = 16384
    endpoint, _ = make_endpoint()
    receiver.respond(Reply(500, body=b"y" * 100_000))
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    assert len(Attempt.objects.get().response_body) == 2048


def test_a_receiver_that_never_answers_times_out(settings, receiver) -> None:  # type: ignore[no-untyped-def]
    from webhooks import sender

    settings.WEBHOOK_TOTAL_TIMEOUT = 0.5
    release = threading.Event()
    receiver.respond(Reply(200, hold=release))
    try:
        result = sender.send(url=receiver.url(), headers={}, body=b"{}")
    finally:
        release.set()
    assert result.status_code is None and result.error.startswith("Timeout")


def test_an_unreachable_receiver_is_a_failed_attempt_not_an_error(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.server.shutdown()
    receiver.server.server_close()
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    attempt = Attempt.objects.get()
    assert attempt.status_code is None and "ConnectError" in attempt.error
    assert only_delivery().state == "retrying"


def test_manual_retry_sends_again_with_the_same_webhook_id(make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    services.delivery_retry(delivery=only_delivery(), actor=alice)
    assert only_delivery().status == DeliveryStatus.PENDING
    run_due()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert list(Attempt.objects.order_by("number").values_list("trigger", flat=True)) == ["scheduled", "manual"]
    assert AuditEvent.objects.filter(action="webhook.delivery_retried", actor=alice).count() == 1


def test_recover_sends_failed_messages_since_a_time_again(make_endpoint, receiver, org, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    with time_machine.travel(START, tick=False) as clock:
        key_create(organization=org, actor=alice, name="old", scopes=["orders:read"])
        clock.shift(timedelta(hours=2))
        key_create(organization=org, actor=alice, name="recent", scopes=["orders:read"])
        services.endpoint_disable(endpoint=endpoint, actor=alice)  # both pending deliveries fail
        assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
        services.endpoint_enable(endpoint=endpoint, actor=alice)
        count = services.deliveries_recover(endpoint=endpoint, actor=alice, since=START + timedelta(hours=1))
        assert count == 1
        run_due()
    [request] = receiver.requests
    assert request.json()["data"]["key"]["name"] == "recent"
    assert AuditEvent.objects.get(action="webhook.deliveries_recovered").metadata["count"] == 1


def test_recover_refuses_the_future_and_more_than_fourteen_days(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    endpoint, _ = make_endpoint()
    for since in (timezone.now() + timedelta(hours=1), timezone.now() - timedelta(days=15)):
        with pytest.raises(ValidationError):
            services.deliveries_recover(endpoint=endpoint, actor=alice, since=since)
    services.endpoint_disable(endpoint=endpoint, actor=alice)
    with pytest.raises(services.WebhookConflict):
        services.deliveries_recover(endpoint=endpoint, actor=alice, since=timezone.now() - timedelta(days=1))
    with pytest.raises(services.WebhookConflict):
        services.endpoint_send_test(endpoint=endpoint, actor=alice)


def test_a_disabled_endpoint_gets_nothing(make_endpoint, receiver, org, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    services.endpoint_disable(endpoint=endpoint, actor=alice)
    key_create(organization=org, actor=alice, name="a", scopes=["orders:read"])
    assert run_due() == 0 and receiver.requests == [] and not Message.objects.exists()


def test_old_messages_and_finished_secrets_are_pruned(make_endpoint, receiver, org, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    with time_machine.travel(START, tick=False) as clock:
        key_create(organization=org, actor=alice, name="a", scopes=["orders:read"])
        run_due()
        services.endpoint_secret_rotate(endpoint=endpoint, actor=alice, grace=timedelta(hours=1))
        clock.shift(timedelta(days=31))
        key_create(organization=org, actor=alice, name="b", scopes=["orders:read"])
        assert tasks.prune() == {"messages": 1, "secrets": 1}
    assert list(Message.objects.values_list("event_type", flat=True)) == ["key.created"]
    assert endpoint.secrets.count() == 1


def test_a_broker_outage_at_commit_loses_nothing(  # type: ignore[no-untyped-def]
    monkeypatch, make_endpoint, receiver, org, alice, django_capture_on_commit_callbacks, caplog
) -> None:
    make_endpoint()

    def broker_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        key, _ = key_create(organization=org, actor=alice, name="svc", scopes=["orders:read"])
    assert key.pk and only_delivery().status == DeliveryStatus.PENDING  # the change stands, the event waits
    assert "Redis is down" in caplog.text
    monkeypatch.undo()
    assert tasks.sweep() == 1  # the beat sweep sends it once the broker is back
    assert only_delivery().status == DeliveryStatus.SUCCEEDED and len(receiver.requests) == 1
