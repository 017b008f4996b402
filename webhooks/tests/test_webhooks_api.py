"""The management API under /api/v1/webhooks/: the same operations as the portal, for keys and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from audit.models import AuditEvent
from conftest import key_client, login
from keys.services import key_revoke
from lib.tests.answers import assert_not_found
from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.services.endpoints import endpoint_secrets
from webhooks.tests.helpers import Reply, run_due

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks"


def test_a_key_with_webhooks_write_manages_endpoints_end_to_end(make_key, receiver, org) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["webhooks:write"])
    api = key_client(plaintext)
    created = api.post(f"{BASE}/endpoints/", {"url": receiver.url(), "event_types": ["webhook.test"]}, format="json")
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    endpoint_id, secret = body["id"], body["secret"]
    assert secret.startswith("whsec_") and body["enabled"] is True and body["event_types"] == ["webhook.test"]
    assert body["created_by"].startswith("key ak_live_")

    listed = api.get(f"{BASE}/endpoints/").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert api.get(f"{BASE}/endpoints/{endpoint_id}").json()["url"] == receiver.url()

    patched = api.patch(f"{BASE}/endpoints/{endpoint_id}", {"description": "ops", "event_types": []}, format="json")
    assert patched.status_code == 200 and patched.json()["event_types"] == []

    revealed = api.get(f"{BASE}/endpoints/{endpoint_id}/secret")
    assert revealed["Cache-Control"] == "no-store"
    assert [s["secret"] for s in revealed.json()["secrets"]] == [secret]

    rotated = api.post(f"{BASE}/endpoints/{endpoint_id}/secret/rotate", {"grace_seconds": 3600}, format="json")
    assert rotated.status_code == 200 and rotated["Cache-Control"] == "no-store"
    new_secret = rotated.json()["secret"]

    tested = api.post(f"{BASE}/endpoints/{endpoint_id}/test")
    assert tested.status_code == 202
    message_id = tested.json()["message_id"]
    run_due()
    request = receiver.requests[-1]
    for s in (secret, new_secret):
        assert Webhook(s).verify(request.body, request.headers)["type"] == "webhook.test"

    deliveries = api.get(f"{BASE}/endpoints/{endpoint_id}/deliveries/").json()
    assert deliveries["count"] == 1 and deliveries["results"][0]["message_id"] == message_id
    assert deliveries["results"][0]["status"] == "succeeded"
    detail = api.get(f"{BASE}/endpoints/{endpoint_id}/deliveries/{message_id}").json()
    assert detail["payload"]["type"] == "webhook.test" and detail["attempts"][0]["status_code"] == 200
    retried = api.post(f"{BASE}/endpoints/{endpoint_id}/deliveries/{message_id}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "pending"

    assert api.post(f"{BASE}/endpoints/{endpoint_id}/disable").json()["enabled"] is False
    conflict = api.post(f"{BASE}/endpoints/{endpoint_id}/test")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    assert api.post(f"{BASE}/endpoints/{endpoint_id}/enable").json()["enabled"] is True
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    assert api.post(f"{BASE}/endpoints/{endpoint_id}/recover", {"since": since}, format="json").json() == {"count": 1}

    assert api.delete(f"{BASE}/endpoints/{endpoint_id}").status_code == 204
    assert not Endpoint.objects.exists()
    labels = set(AuditEvent.objects.filter(target_id=endpoint_id).values_list("actor_label", flat=True))
    assert labels == {body["created_by"]}


def test_the_event_types_are_listed_with_examples(make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["webhooks:read"])
    types = key_client(plaintext).get(f"{BASE}/event-types/").json()
    created = next(t for t in types if t["name"] == "key.created")
    assert created["group"] == "API keys" and created["example"]["type"] == "key.created"


def endpoint_writes(endpoint) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The routes (method, path under BASE) that change an endpoint or reveal its secret."""
    return [
        ("patch", f"/endpoints/{endpoint.id}"),
        ("delete", f"/endpoints/{endpoint.id}"),
        ("get", f"/endpoints/{endpoint.id}/secret"),
        ("post", f"/endpoints/{endpoint.id}/secret/rotate"),
        ("post", f"/endpoints/{endpoint.id}/test"),
        ("post", f"/endpoints/{endpoint.id}/disable"),
    ]


def test_reading_needs_webhooks_read_and_changing_needs_webhooks_write(make_key, make_endpoint) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    _, reader = make_key(scopes=["webhooks:read"])
    _, nothing = make_key(scopes=["orders:read"])
    read = key_client(reader)
    assert read.get(f"{BASE}/endpoints/").status_code == 200
    assert read.get(f"{BASE}/endpoints/{endpoint.id}/deliveries/").status_code == 200
    for method, path in [("post", "/endpoints/"), *endpoint_writes(endpoint)]:
        denied = getattr(read, method)(f"{BASE}{path}", {}, format="json")
        assert denied.status_code == 403, (method, path)
        assert denied.json()["error"]["detail"] == {"missing_scopes": ["webhooks:write"]}
        assert "insufficient_scope" in denied["WWW-Authenticate"]
    denied = key_client(nothing).get(f"{BASE}/endpoints/")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    assert Endpoint.objects.get().is_enabled


def test_a_revoked_or_expired_key_gets_401(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    revoked, revoked_plain = make_key(scopes=["webhooks:write"])
    key_revoke(key=revoked, actor=alice)
    assert key_client(revoked_plain).get(f"{BASE}/endpoints/").status_code == 401
    _, expired_plain = make_key(scopes=["webhooks:write"], expires_at=timezone.now() + timedelta(seconds=1))
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        response = key_client(expired_plain).get(f"{BASE}/endpoints/")
    assert response.status_code == 401 and "WWW-Authenticate" in response
    assert APIClient().get(f"{BASE}/endpoints/").status_code in (401, 403)


def test_an_outsider_gets_404_for_another_teams_endpoints_and_deliveries(  # type: ignore[no-untyped-def]
    api, charlie, charlie_org, org, make_endpoint, alice, make_key
) -> None:
    endpoint, _ = make_endpoint()
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    paths = [
        ("get", f"/endpoints/{endpoint.id}"),
        *endpoint_writes(endpoint),
        ("post", f"/endpoints/{endpoint.id}/enable"),
        ("post", f"/endpoints/{endpoint.id}/recover"),
        ("get", f"/endpoints/{endpoint.id}/deliveries/"),
        ("get", f"/endpoints/{endpoint.id}/deliveries/{message.id}"),
        ("post", f"/endpoints/{endpoint.id}/deliveries/{message.id}/retry"),
    ]
    login(api, charlie)
    assert api.get(f"{BASE}/endpoints/?organization={org.slug}").status_code == 404
    assert api.get(f"{BASE}/endpoints/").json()["count"] == 0  # his own team has none
    from keys.services import key_create

    _, theirs = key_create(organization=charlie_org, actor=charlie, name="c", scopes=["webhooks:write"])
    for client in (api, key_client(theirs)):
        assert_not_found(client, paths, BASE)
    assert Endpoint.objects.get().is_enabled and Delivery.objects.get().attempt_count == 0


def test_people_need_a_writers_role_and_a_fresh_password_for_secrets(
    api, alice, vera, org, make_endpoint, receiver
) -> None:  # type: ignore[no-untyped-def]
    endpoint, secret = make_endpoint()
    login(api, vera)
    assert api.get(f"{BASE}/endpoints/?organization={org.slug}").status_code == 200
    denied = api.get(f"{BASE}/endpoints/{endpoint.id}/secret?organization={org.slug}")
    assert denied.status_code == 403 and "Viewers" in denied.json()["error"]["message"]
    assert (
        api.post(f"{BASE}/endpoints/?organization={org.slug}", {"url": receiver.url()}, format="json").status_code
        == 403
    )
    login(api, alice, sudo=False)
    stale = api.get(f"{BASE}/endpoints/{endpoint.id}/secret")
    assert stale.status_code == 403 and stale.json()["error"]["code"] == "reauthentication_required"
    assert api.post(f"{BASE}/endpoints/", {"url": receiver.url()}, format="json").status_code == 403
    login(api, alice)
    assert api.get(f"{BASE}/endpoints/{endpoint.id}/secret").json()["secrets"][0]["secret"] == secret


def test_bad_input_gets_a_clear_400(settings, make_key, make_endpoint, receiver) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    _, plaintext = make_key(scopes=["webhooks:write"])
    api = key_client(plaintext)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    cases = [
        ({"url": "http://10.0.0.1/hook"}, "url", "internal addresses are not allowed"),
        ({"url": "http://[::1]/hook"}, "url", "internal addresses are not allowed"),
        ({"url": "gopher://example.com"}, "url", "valid http or https URL"),
        ({"url": ["x"]}, "url", "Not a valid string"),
        ({"url": "https://example.com", "event_types": ["nope"]}, "event_types", "Unknown event type(s): nope."),
        ({"url": "https://example.com", "event_types": "key.created"}, "event_types", "list"),
        ({"url": "https://example.com", "description": "x" * 201}, "description", "no more than 200"),
        ({}, "url", "required"),
    ]
    for payload, field, message in cases:
        response = api.post(f"{BASE}/endpoints/", payload, format="json")
        assert response.status_code == 400, payload
        assert message in " ".join(response.json()["error"]["detail"][field]), response.json()
    rotate = api.post(f"{BASE}/endpoints/{endpoint.id}/secret/rotate", {"grace_seconds": -1}, format="json")
    assert rotate.status_code == 400
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert api.post(f"{BASE}/endpoints/{endpoint.id}/recover", {"since": future}, format="json").status_code == 400
    assert api.post(f"{BASE}/endpoints/{endpoint.id}/recover", {"since": "yesterday"}, format="json").status_code == 400
    garbage = api.generic("POST", f"{BASE}/endpoints/", b"\xff{", content_type="application/json")
    assert garbage.status_code == 400
    assert api.get(f"{BASE}/endpoints/{'z' * 400}").status_code == 404
    assert api.get(f"{BASE}/endpoints/{endpoint.id}/deliveries/?status=%00&event_type=" + "x" * 500).status_code in (
        200,
        400,
    )


def test_the_openapi_schema_documents_the_webhook_api(api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/webhooks/endpoints/",
        "/api/v1/webhooks/endpoints/{endpoint_id}",
        "/api/v1/webhooks/endpoints/{endpoint_id}/secret/rotate",
        "/api/v1/webhooks/endpoints/{endpoint_id}/deliveries/{message_id}/retry",
        "/api/v1/webhooks/event-types/",
    ):
        assert path in paths, path


def test_a_failing_delivery_shows_in_the_api_log_with_each_attempt(make_key, make_endpoint, receiver, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    receiver.respond(Reply(503, body=b"maintenance"))
    message = services.endpoint_send_test(endpoint=endpoint, actor=alice)
    run_due()
    _, plaintext = make_key(scopes=["webhooks:read"])
    api = key_client(plaintext)
    row = api.get(f"{BASE}/endpoints/{endpoint.id}/deliveries/?status=retrying").json()["results"][0]
    assert row["message_id"] == message.id and row["last_status_code"] == 503 and row["attempt_count"] == 1
    detail = api.get(f"{BASE}/endpoints/{endpoint.id}/deliveries/{message.id}").json()
    assert detail["attempts"][0]["response_body"] == "maintenance" and detail["attempts"][0]["next_retry_at"]
    assert endpoint_secrets(endpoint)  # still readable by the sender
