"""`publish` stores events with the change that caused them, filters per endpoint, and never carries secrets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from keys.services import key_create, key_disable, key_enable, key_revoke, key_roll, key_update
from webhooks import catalogue, services
from webhooks.models import Delivery, Message
from webhooks.services import PayloadError, publish

pytestmark = pytest.mark.django_db


def types_for(endpoint) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("id").values_list("message__event_type", flat=True))


def test_every_key_lifecycle_action_emits_its_event_with_the_key_summary(make_endpoint, org, alice) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    key, plaintext = key_create(organization=org, actor=alice, name="svc", scopes=["orders:write"])
    key_update(key=key, actor=alice, name="svc-2", scopes=["orders:read"])
    key_disable(key=key, actor=alice)
    key_enable(key=key, actor=alice)
    successor, new_plaintext = key_roll(key=key, actor=alice, grace=timedelta(hours=1))
    key_revoke(key=successor, actor=alice, reason="done")
    assert types_for(endpoint) == [
        "key.created",
        "key.updated",
        "key.disabled",
        "key.enabled",
        "key.rolled",
        "key.revoked",
    ]
    bodies = {m.event_type: json.loads(m.payload) for m in Message.objects.all()}
    assert bodies["key.updated"]["data"]["changed"] == ["name", "scopes"]
    assert bodies["key.rolled"]["data"]["successor"] == successor.id
    assert bodies["key.revoked"]["data"] == {"organization": org.slug, "key": successor.summary(), "reason": "done"}
    everything = " ".join(m.payload for m in Message.objects.all())
    for secret in (plaintext, new_plaintext):
        assert secret[16:48] not in everything


def test_the_envelope_is_type_timestamp_and_data(make_endpoint, org, alice) -> None:  # type: ignore[no-untyped-def]
    make_endpoint()
    message = publish(organization=org, event_type="key.expiring", data={"days_left": 7})
    assert message is not None and message.id.startswith("msg_") and len(message.id) == 28
    body = json.loads(message.payload)
    assert list(body) == ["type", "timestamp", "data"]
    assert body["type"] == "key.expiring" and body["data"] == {"days_left": 7}
    assert body["timestamp"].endswith("Z")


def test_each_endpoint_gets_only_the_event_types_it_subscribes_to(make_endpoint, org, alice) -> None:  # type: ignore[no-untyped-def]
    everything, _ = make_endpoint(path="/all")
    revocations, _ = make_endpoint(path="/revoked", event_types=["key.revoked"])
    key, _ = key_create(organization=org, actor=alice, name="svc", scopes=["orders:read"])
    key_revoke(key=key, actor=alice)
    assert types_for(everything) == ["key.created", "key.revoked"]
    assert types_for(revocations) == ["key.revoked"]
    assert Message.objects.count() == 2  # one message per event, one delivery per endpoint


def test_other_teams_endpoints_never_get_the_event(make_endpoint, charlie_org, charlie, org, alice) -> None:  # type: ignore[no-untyped-def]
    mine, _ = make_endpoint()
    theirs, _ = make_endpoint(organization=charlie_org, actor=charlie, path="/charlie")
    key_create(organization=org, actor=alice, name="svc", scopes=["orders:read"])
    assert types_for(mine) == ["key.created"] and types_for(theirs) == []


def test_the_event_rolls_back_with_the_change_and_is_queued_only_on_commit(  # type: ignore[no-untyped-def]
    make_endpoint, org, alice, django_capture_on_commit_callbacks
) -> None:
    make_endpoint()
    with pytest.raises(RuntimeError), transaction.atomic():
        key_create(organization=org, actor=alice, name="doomed", scopes=["orders:read"])
        raise RuntimeError("the surrounding change fails")
    assert not Message.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        key_create(organization=org, actor=alice, name="kept", scopes=["orders:read"])
        assert Delivery.objects.count() == 1  # written before anything is queued
    assert len(callbacks) == 1


def test_no_message_is_stored_when_no_endpoint_wants_it(make_endpoint, org, alice) -> None:  # type: ignore[no-untyped-def]
    make_endpoint(event_types=["key.revoked"])
    key_create(organization=org, actor=alice, name="svc", scopes=["orders:read"])
    assert not Message.objects.exists()


def test_publish_refuses_unknown_types_secret_fields_and_oversized_payloads(settings, make_endpoint, org) -> None:  # type: ignore[no-untyped-def]
    make_endpoint()
    with pytest.raises(ValueError, match="Unknown event type"):
        publish(organization=org, event_type="key.exploded", data={})
    for data in ({"secret": "x"}, {"key": {"plaintext": "x"}}, {"items": [{"client_secret": "x"}]}):
        with pytest.raises(PayloadError, match="never carry secrets"):
            publish(organization=org, event_type="key.created", data=data)
    settings.WEBHOOK_MAX_PAYLOAD_BYTES = 1024
    with pytest.raises(PayloadError, match="the cap is 1024"):
        publish(organization=org, event_type="key.created", data={"note": "x" * 2000})
    assert not Message.objects.exists()


def test_the_catalogue_describes_every_event_with_an_example() -> None:
    names = catalogue.names()
    for expected in ("key.created", "key.rolled", "key.revoked", "key.expiring", "usage.anomaly", "webhook.test"):
        assert expected in names
    assert "webhook.endpoint_disabled" in names and "oauth_app.secret_rotated" in names
    for event in catalogue.event_types():
        assert event.description and event.example, event.name
        assert set(event.example_envelope()) == {"type", "timestamp", "data"}
    assert catalogue.register(
        "key.created", group="API keys", description=catalogue.get("key.created").description, example={}
    )  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        catalogue.register("key.created", group="Other", description="changed", example={})


def test_test_events_reach_one_endpoint_whatever_its_filter(make_endpoint, alice) -> None:  # type: ignore[no-untyped-def]
    picky, _ = make_endpoint(path="/picky", event_types=["key.revoked"])
    other, _ = make_endpoint(path="/other")
    services.endpoint_send_test(endpoint=picky, actor=alice)
    assert types_for(picky) == ["webhook.test"] and types_for(other) == []
