"""The admin shows endpoints, messages, deliveries and attempts read-only, never a secret; its actions are audited."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from lib.tests.admin import admin_change_url
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, DisabledReason, Endpoint, EndpointSecret
from webhooks.tests.helpers import Reply, run_due

pytestmark = pytest.mark.django_db


def test_every_webhook_admin_page_renders_read_only_without_secrets(
    admin_client, make_endpoint, receiver, alice
) -> None:  # type: ignore[no-untyped-def]
    endpoint, secret = make_endpoint()
    services.endpoint_secret_rotate(endpoint=endpoint, actor=alice)
    receiver.respond(Reply(500, body=b"nope"))
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    delivery = Delivery.objects.get()
    attempt = delivery.attempts.get()
    ciphertexts = list(EndpointSecret.objects.values_list("ciphertext", flat=True))
    pages = [
        "/admin/webhooks/",
        "/admin/webhooks/endpoint/",
        admin_change_url(endpoint),
        "/admin/webhooks/message/",
        admin_change_url(message),
        "/admin/webhooks/delivery/",
        admin_change_url(delivery),
        "/admin/webhooks/attempt/",
        admin_change_url(attempt),
        "/admin/webhooks/endpoint/?q=hook&is_enabled__exact=1",
    ]
    for url in pages:
        page = admin_client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert secret not in body and secret.removeprefix("whsec_") not in body, url
        # The sealed bytes (after the last `$`), not the key id: `t2` can turn up in any random token on the page.
        assert all(c.rsplit("$", 1)[-1][:40] not in body for c in ciphertexts), url
        assert 'name="_save"' not in body, url
    assert admin_client.get("/admin/webhooks/endpointsecret/").status_code == 404
    assert admin_client.get("/admin/webhooks/endpoint/add/").status_code == 403


def test_the_admin_disables_endpoints_and_retries_messages_with_an_audit_trail(  # type: ignore[no-untyped-def]
    admin_client, make_endpoint, receiver, alice, django_capture_on_commit_callbacks
) -> None:
    endpoint, _ = make_endpoint()
    receiver.respond(500)
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    response = admin_client.post(
        "/admin/webhooks/message/", {"action": "retry_selected", "_selected_action": [message.pk]}, follow=True
    )
    assert b"Queued 1 delivery retries" in response.content
    assert Delivery.objects.get().round_attempts == 0
    assert AuditEvent.objects.filter(action="webhook.delivery_retried").count() == 1
    assert AuditEvent.objects.get(action="admin.webhook_messages_retried").metadata["retried"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/webhooks/endpoint/", {"action": "disable_selected", "_selected_action": [endpoint.pk]}
        )
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and endpoint.disabled_reason == DisabledReason.ADMIN
    assert Delivery.objects.get().status == DeliveryStatus.FAILED
    assert AuditEvent.objects.get(action="webhook.endpoint_disabled").actor == alice
    assert AuditEvent.objects.get(action="admin.webhook_endpoints_disabled").metadata["endpoints"] == [endpoint.pk]

    response = admin_client.post(
        "/admin/webhooks/delivery/",
        {"action": "retry_selected", "_selected_action": [Delivery.objects.get().pk]},
        follow=True,
    )
    assert b"skipped 1" in response.content  # a disabled endpoint is not retried
    assert Endpoint.objects.get().is_enabled is False
