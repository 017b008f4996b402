"""The webhook pages of the portal: register, reveal, rotate, test, the delivery log, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from conftest import PASSWORD, login
from keys.services import key_create
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.services.endpoints import endpoint_secrets
from webhooks.tests.helpers import Reply, run_due

pytestmark = pytest.mark.django_db


def create_payload(receiver, **overrides):  # type: ignore[no-untyped-def]
    return {
        "url": receiver.url(),
        "description": "Ops alerts",
        "event_types": ["key.created", "key.revoked"],
        **overrides,
    }


def test_a_developer_registers_an_endpoint_and_sees_the_secret_on_a_no_store_page(client, bob, org, receiver) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.get(f"/orgs/{org.slug}/webhooks/new").status_code == 200
    response = client.post(f"/orgs/{org.slug}/webhooks/new", create_payload(receiver), follow=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.description) == (receiver.url(), "Ops alerts")
    assert endpoint.event_types == ["key.created", "key.revoked"] and endpoint.created_by == bob
    [secret] = endpoint_secrets(endpoint)
    assert secret.startswith("whsec_") and secret.encode() in response.content
    detail = client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    assert detail.status_code == 200 and secret.encode() not in detail.content
    assert AuditEvent.objects.filter(action="webhook.endpoint_created", actor=bob, target_id=endpoint.id).exists()


def test_every_event_type_can_be_chosen_with_one_box(client, alice, org, receiver) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    client.post(f"/orgs/{org.slug}/webhooks/new", create_payload(receiver, all_events="on"), follow=True)
    assert Endpoint.objects.get().event_types == []


def test_registering_an_endpoint_asks_for_the_password_outside_sudo_mode(client, alice, org, receiver) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    refused = client.post(f"/orgs/{org.slug}/webhooks/new", create_payload(receiver))
    assert refused.status_code == 200 and b"Confirm your password" in refused.content
    assert not Endpoint.objects.exists()
    ok = client.post(f"/orgs/{org.slug}/webhooks/new", create_payload(receiver, password=PASSWORD), follow=True)
    assert ok.status_code == 200 and Endpoint.objects.count() == 1


def test_the_create_form_explains_what_is_wrong(settings, client, alice, org, receiver) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    cases = [
        ({"url": "http://169.254.169.254/latest"}, b"internal addresses are not allowed"),
        ({"url": "http://localhost:9000/"}, b"loopback addresses are not allowed"),
        ({"url": "javascript:alert(1)"}, b"valid http or https URL"),
        ({"event_types": []}, b"Choose at least one event type"),
        ({"event_types": ["key.exploded"]}, b"Select a valid choice"),
        ({"description": "x" * 201}, b"at most 200 characters"),
        ({"url": "https://exa mple.com/hook"}, b"valid http or https URL"),
    ]
    for overrides, message in cases:
        response = client.post(f"/orgs/{org.slug}/webhooks/new", create_payload(receiver, **overrides), follow=True)
        assert response.status_code == 200, overrides
        assert message in response.content, overrides
    assert not Endpoint.objects.exists()


def test_revealing_the_secret_needs_a_fresh_password_and_is_never_cached(client, alice, org, make_endpoint) -> None:  # type: ignore[no-untyped-def]
    endpoint, secret = make_endpoint()
    login(client, alice, sudo=False)
    page = client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    assert b"Reveal secret" in page.content and secret.encode() not in page.content
    refused = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/secret", {}, follow=True)
    assert secret.encode() not in refused.content and b"Confirm your password" in refused.content
    wrong = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/secret", {"password": "nope"})
    assert wrong.status_code == 302
    shown = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/secret", {"password": PASSWORD}, follow=True)
    assert shown.status_code == 200 and secret.encode() in shown.content
    assert "no-store" in shown["Cache-Control"]
    assert AuditEvent.objects.filter(action="webhook.secret_revealed", actor=alice).count() == 1
    assert client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/secret").status_code == 405


def test_rotating_from_the_portal_shows_the_new_secret_and_keeps_the_old_signing(
    client, alice, org, make_endpoint
) -> None:  # type: ignore[no-untyped-def]
    endpoint, old = make_endpoint()
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/rotate", {"grace": "86400"}, follow=True)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new, still_old = endpoint_secrets(endpoint)
    assert still_old == old and new.encode() in response.content and old.encode() not in response.content
    assert client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/rotate", {"grace": "31536000"}).status_code == 302
    assert len(endpoint_secrets(endpoint)) == 2


def test_send_test_event_then_read_the_delivery_log_and_retry(client, bob, org, make_endpoint, receiver) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.respond(Reply(500, body=b"database is down"))
    login(client, bob)
    sent = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/test")
    delivery = Delivery.objects.get()
    assert sent.status_code == 302 and sent["Location"].endswith(f"/deliveries/{delivery.message_id}/")
    run_due()
    log = client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    assert b"webhook.test" in log.content and b"HTTP 500" in log.content and b"Retrying" in log.content
    assert client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/?status=failed").context["page"].paginator.count == 0
    assert client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/?status=retrying").context["page"].paginator.count == 1
    page = client.get(f"/orgs/{org.slug}/webhooks/{endpoint.id}/deliveries/{delivery.message_id}/")
    assert page.status_code == 200
    assert b"database is down" in page.content and delivery.message_id.encode() in page.content
    retried = client.post(f"/orgs/{org.slug}/webhooks/{endpoint.id}/deliveries/{delivery.message_id}/retry")
    assert retried.status_code == 302
    run_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2


def test_recover_disable_enable_edit_and_delete_from_the_portal(client, alice, org, make_endpoint, receiver) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    login(client, alice)
    base = f"/orgs/{org.slug}/webhooks/{endpoint.id}"
    client.post(f"{base}/disable")
    key_create(organization=org, actor=alice, name="missed", scopes=["orders:read"])  # not sent: disabled
    assert not Endpoint.objects.get().is_enabled
    services.endpoint_enable(endpoint=endpoint, actor=alice)
    key_create(organization=org, actor=alice, name="queued", scopes=["orders:read"])
    client.post(f"{base}/disable")
    client.post(f"{base}/enable")
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    recovered = client.post(f"{base}/recover", {"since": since}, follow=True)
    assert b"Sending 1 failed message again" in recovered.content
    run_due()
    assert [r.json()["data"]["key"]["name"] for r in receiver.requests] == ["queued"]
    bad = client.post(f"{base}/recover", {"since": "not a date"}, follow=True)
    assert b"Enter a valid date/time" in bad.content

    assert client.get(f"{base}/edit").status_code == 200
    client.post(f"{base}/edit", {"url": receiver.url("/v2"), "description": "", "all_events": "on"})
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/v2") and endpoint.event_types == []
    assert client.post(f"{base}/delete")["Location"] == f"/orgs/{org.slug}/webhooks/"
    assert not Endpoint.objects.exists()
    actions = set(AuditEvent.objects.filter(target_id=endpoint.id).values_list("action", flat=True))
    assert {"webhook.endpoint_disabled", "webhook.endpoint_enabled", "webhook.deliveries_recovered"} <= actions
    assert {"webhook.endpoint_updated", "webhook.endpoint_deleted"} <= actions


def test_the_event_catalogue_page_lists_every_type_with_an_example(client, vera, org) -> None:  # type: ignore[no-untyped-def]
    login(client, vera)
    page = client.get(f"/orgs/{org.slug}/webhooks/event-types/")
    assert page.status_code == 200
    for name in (b"key.created", b"key.rolled", b"webhook.endpoint_disabled", b"usage.anomaly"):
        assert name in page.content
    assert b"&quot;timestamp&quot;" in page.content


def test_the_sidebar_links_to_webhooks(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/keys/")
    assert f'href="/orgs/{org.slug}/webhooks/"'.encode() in page.content
    own = client.get(f"/orgs/{org.slug}/webhooks/")
    assert b'aria-current="page">' in own.content and b"No webhook endpoints yet" in own.content


WRITE_POSTS = ["edit", "delete", "secret", "rotate", "test", "disable", "enable", "recover"]


def test_a_viewer_sees_webhooks_but_cannot_change_them_or_see_secrets(client, vera, org, make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, secret = make_endpoint()
    services.endpoint_send_test(endpoint=endpoint, actor=alice)
    message_id = Delivery.objects.get().message_id
    login(client, vera)
    base = f"/orgs/{org.slug}/webhooks/{endpoint.id}"
    for path in (f"/orgs/{org.slug}/webhooks/", f"{base}/", f"{base}/deliveries/{message_id}/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert b"Reveal secret" not in page.content and b"Delete endpoint" not in page.content
    assert client.get(f"/orgs/{org.slug}/webhooks/new").status_code == 403
    assert client.get(f"{base}/edit").status_code == 403
    for action in WRITE_POSTS:
        assert client.post(f"{base}/{action}", {"password": PASSWORD}).status_code == 403, action
    assert client.post(f"{base}/deliveries/{message_id}/retry").status_code == 403
    assert Endpoint.objects.get().is_enabled and Delivery.objects.get().attempt_count == 0


@pytest.mark.parametrize("action", ["", *WRITE_POSTS, "deliveries/MSG/", "deliveries/MSG/retry"])
def test_an_outsider_gets_404_on_every_webhook_page(client, charlie, org, make_endpoint, alice, action) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    login(client, charlie)
    path = f"/orgs/{org.slug}/webhooks/{endpoint.id}/{action.replace('MSG', message.id)}"
    assert client.get(path).status_code in (404, 405)
    assert client.post(path, {"password": PASSWORD}).status_code == 404
    for team_page in ("", "new", "event-types/"):
        assert client.get(f"/orgs/{org.slug}/webhooks/{team_page}").status_code == 404


def test_another_teams_endpoint_is_404_even_inside_your_own_team(
    client, charlie, charlie_org, make_endpoint, alice
) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    login(client, charlie)
    base = f"/orgs/{charlie_org.slug}/webhooks/{endpoint.id}"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/deliveries/{message.id}/").status_code == 404
    assert client.post(f"{base}/secret", {"password": PASSWORD}).status_code == 404
    assert client.post(f"{base}/delete").status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, org) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/orgs/{org.slug}/webhooks/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_odd_ids_and_filters_are_a_clean_404_or_ignored(client, alice, org, make_endpoint) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    login(client, alice)
    base = f"/orgs/{org.slug}/webhooks"
    assert client.get(f"{base}/{'x' * 500}/").status_code == 404
    assert client.get(f"{base}/ep_%27%22%3C/").status_code == 404
    assert client.get(f"{base}/{endpoint.id}/deliveries/{'y' * 300}/").status_code == 404
    odd = client.get(f"{base}/{endpoint.id}/?status=%27;drop&event_type=%3Cx%3E&page=-1")
    assert odd.status_code == 200
