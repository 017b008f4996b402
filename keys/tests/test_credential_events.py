"""Signing-secret, client-certificate and CA lifecycle actions are published as webhook events, in the
transaction of the change, and `key.leaked` is emitted when a key is reported leaked; no payload holds
a secret."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from keys.models import KeyStatus
from keys.services import (
    certificate_authority_register,
    certificate_authority_revoke,
    client_certificate_register,
    client_certificate_revoke,
    client_certificate_update,
    key_report_leaked,
    signing_secret_create,
    signing_secret_revoke,
    signing_secret_rotate,
    signing_secret_update,
)
from keys.tests.pki import make_ca, make_cert
from webhooks import catalogue
from webhooks.models import Delivery, Endpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

SIGNING = ["signing_secret.created", "signing_secret.rotated", "signing_secret.updated", "signing_secret.revoked"]
CERTIFICATES = [
    "certificate_authority.registered",
    "client_certificate.registered",
    "client_certificate.updated",
    "client_certificate.revoked",
    "certificate_authority.revoked",
]


@pytest.fixture
def subscribed(org: Any, alice: Any, settings: Any):  # type: ignore[no-untyped-def]
    """An endpoint of Alice's team subscribed to exactly `event_types`."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False

    def make(event_types: list[str]) -> Endpoint:
        endpoint, _ = endpoint_create(
            organization=org, actor=alice, url="http://127.0.0.1:9/hook", event_types=event_types
        )
        return endpoint

    return make


def delivered(endpoint: Endpoint) -> list[dict[str, Any]]:
    """The envelopes with a delivery row for `endpoint`, oldest first."""
    rows = Delivery.objects.filter(endpoint=endpoint).select_related("message").order_by("message__created_at", "id")
    return [json.loads(row.message.payload) for row in rows]


def test_every_new_event_type_is_in_the_catalogue() -> None:
    for name in [*SIGNING, *CERTIFICATES, "key.leaked"]:
        event = catalogue.get(name)
        assert event is not None and event.example, name


def test_signing_secret_lifecycle_events_reach_a_subscribed_endpoint(org, alice, subscribed) -> None:  # type: ignore[no-untyped-def]
    endpoint = subscribed(SIGNING)
    other = subscribed(["key.created"])
    secret, first = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
    secret, second = signing_secret_rotate(secret=secret, actor=alice, grace=timedelta(hours=1))
    signing_secret_update(secret=secret, actor=alice, name="Renamed", metadata={"team": "private value"})
    signing_secret_revoke(secret=secret, actor=alice, reason="done")
    signing_secret_revoke(secret=secret, actor=alice)  # a no-op publishes nothing
    envelopes = delivered(endpoint)
    assert [e["type"] for e in envelopes] == SIGNING
    assert all(e["data"]["signing_secret"]["id"] == secret.display_id for e in envelopes)
    assert envelopes[1]["data"]["version"] == 2 and envelopes[1]["data"]["previous_valid_until"]
    assert sorted(envelopes[2]["data"]["changed"]) == ["metadata", "name"]
    assert envelopes[3]["data"]["reason"] == "done"
    bodies = json.dumps(envelopes)
    assert first not in bodies and second not in bodies and "private value" not in bodies
    assert secret.secret_encrypted not in bodies
    assert delivered(other) == []  # filtered per endpoint


def test_certificate_and_ca_lifecycle_events_reach_a_subscribed_endpoint(org, alice, subscribed) -> None:  # type: ignore[no-untyped-def]
    endpoint = subscribed(CERTIFICATES)
    issued = make_ca()
    ca = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=issued.pem)
    cert = client_certificate_register(
        organization=org, actor=alice, name="P", scopes=["orders:write"], certificate_pem=make_cert("p").pem
    )
    client_certificate_update(certificate=cert, actor=alice, scopes=["orders:read"])
    client_certificate_revoke(certificate=cert, actor=alice, reason="gone")
    certificate_authority_revoke(authority=ca, actor=alice)
    envelopes = delivered(endpoint)
    assert [e["type"] for e in envelopes] == CERTIFICATES
    assert envelopes[0]["data"]["certificate_authority"]["id"] == ca.id
    summary = envelopes[1]["data"]["client_certificate"]
    assert (summary["id"], summary["match_type"], summary["match_value"]) == (
        cert.display_id,
        cert.match_type,
        cert.match_value,
    )
    assert envelopes[2]["data"]["changed"] == ["scopes"]
    assert envelopes[3]["data"]["reason"] == "gone"
    assert envelopes[4]["data"]["identities_refused"] == 0
    assert "PRIVATE KEY" not in json.dumps(envelopes)


def test_no_event_is_published_when_the_change_rolls_back(org, alice, subscribed) -> None:  # type: ignore[no-untyped-def]
    endpoint = subscribed(SIGNING)
    with pytest.raises(RuntimeError), transaction.atomic():
        signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
        raise RuntimeError("the caller's transaction fails")
    assert delivered(endpoint) == []


def test_a_key_reported_leaked_is_revoked_and_key_leaked_is_published(make_key, org, alice, subscribed) -> None:  # type: ignore[no-untyped-def]
    endpoint = subscribed(["key.leaked", "key.revoked"])
    key, plaintext = make_key(environment="live")
    url = "https://github.com/acme/app/commit/0123abc"
    key_report_leaked(key=key, actor=alice, source_url=url)
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_by == alice
    revoked, leaked = delivered(endpoint)
    assert revoked["type"] == "key.revoked" and leaked["type"] == "key.leaked"
    assert leaked["data"] == {
        "organization": org.slug,
        "key": key.summary(),
        "source": "admin",
        "url": url,
        "action": "revoked",
    }
    assert plaintext not in json.dumps([revoked, leaked])
    event = AuditEvent.objects.get(action="key.leaked")
    assert (event.target_id, event.metadata["url"], event.actor) == (key.id, url, alice)


def test_reporting_a_revoked_key_still_tells_the_team(make_key, alice, subscribed) -> None:  # type: ignore[no-untyped-def]
    endpoint = subscribed(["key.leaked", "key.revoked"])
    key, _ = make_key()
    key_report_leaked(key=key, actor=alice)
    key_report_leaked(key=key, actor=alice, source="github_secret_scanning", source_url="https://github.com/x")
    assert [e["type"] for e in delivered(endpoint)] == ["key.revoked", "key.leaked", "key.leaked"]


@pytest.mark.parametrize("bad", [{"source_url": "javascript:alert(1)"}, {"source": "rumour"}])
def test_a_leak_report_with_a_bad_source_changes_nothing(make_key, alice, bad) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    with pytest.raises(ValidationError):
        key_report_leaked(key=key, actor=alice, **bad)
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not AuditEvent.objects.filter(action="key.leaked").exists()
