"""The team policy on updates, rolls and rotations, on every credential kind, and the default rotation.

An update is judged on what it really changes, so a credential made before the policy can still be
renamed; a roll or rotation is judged as a new credential (it hands out a new secret with the same
grants), except the system's scheduled rotation, which keeps pre-policy credentials rotating.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from conftest import login, set_policy
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, RotationPolicy
from keys.services import (
    client_certificate_register,
    key_create,
    key_roll,
    key_update,
    signing_secret_create,
    signing_secret_rotate,
)
from keys.tests.pki import make_cert

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
NETS = ["192.0.2.0/24"]


def _live_key(org, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("scopes", ["orders:read"])
    return key_create(organization=org, actor=None, name=kw.pop("name", "Live"), **kw)[0]


def test_a_pre_policy_key_can_be_renamed_but_not_changed_against_the_policy(api, alice, org) -> None:  # type: ignore[no-untyped-def]
    key = _live_key(org)  # no expiry, no allowlist
    set_policy(org, max_lifetime_days=30, require_live_expiry=True, require_live_allowlist=True)
    login(api, alice)
    assert (
        api.patch(f"/api/v1/keys/{key.id}", {"name": "Renamed", "allowed_networks": []}, format="json").status_code
        == 200
    )
    too_long = (timezone.now() + 90 * DAY).isoformat()
    refused = api.patch(f"/api/v1/keys/{key.id}", {"expires_at": too_long}, format="json")
    assert refused.status_code == 400 and "at most 30 days" in str(refused.json()["error"]["detail"]["expires_at"])
    fenced = key_update(key=key, actor=alice, allowed_networks=NETS, expires_at=timezone.now() + 10 * DAY)
    for change, message in (({"allowed_networks": []}, "IP allowlist"), ({"expires_at": None}, "have an expiry")):
        with pytest.raises(ValidationError, match=message):
            key_update(key=fenced, actor=alice, **change)


def test_the_portal_edit_form_shows_the_policy_refusal(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    key = _live_key(org, allowed_networks=NETS, expires_at=timezone.now() + 5 * DAY)
    set_policy(org, require_live_allowlist=True)
    login(client, alice)
    payload = {"name": key.name, "allowed_networks": "", "scope__orders": "read"}
    response = client.post(f"/orgs/{org.slug}/keys/{key.id}/edit", payload)
    assert response.status_code == 200 and b"IP allowlist" in response.content
    key.refresh_from_db()
    assert key.allowed_networks == NETS


def test_a_developer_cannot_roll_a_key_with_scopes_their_role_may_not_grant(api, client, alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    writer = _live_key(org, scopes=["orders:write"], allowed_networks=NETS)
    reader = _live_key(org, name="Reader", allowed_networks=NETS)
    set_policy(org, role_scopes={"developer": ["*:read"]})
    login(api, bob)
    refused = api.post(f"/api/v1/keys/{writer.id}/roll", {"grace_seconds": 0}, format="json")
    assert refused.status_code == 400 and "developers grant only *:read" in str(refused.json()["error"])
    assert api.post(f"/api/v1/keys/{reader.id}/roll", {"grace_seconds": 0}, format="json").status_code == 200
    login(client, bob)
    portal = client.post(f"/orgs/{org.slug}/keys/{writer.id}/roll", {"grace": "0"}, follow=True)
    assert b"developers grant only *:read" in portal.content
    assert not APIKey.objects.filter(predecessor=writer).exists()
    owner = APIClient()
    login(owner, alice)
    assert owner.post(f"/api/v1/keys/{writer.id}/roll", {"grace_seconds": 0}, format="json").status_code == 200


def test_a_roll_hands_out_a_policy_abiding_successor_and_the_scheduled_rotation_is_exempt(alice, org) -> None:  # type: ignore[no-untyped-def]
    open_key = _live_key(org)  # made before the policy: no expiry, no allowlist
    fenced = _live_key(org, name="Fenced", allowed_networks=NETS)
    set_policy(org, max_lifetime_days=30, require_live_allowlist=True)
    with pytest.raises(ValidationError, match="IP allowlist"):
        key_roll(key=open_key, actor=alice)
    successor, _ = key_roll(key=fenced, actor=alice)
    assert successor.expires_at is not None and successor.expires_at <= timezone.now() + 30 * DAY
    rotation_policy_set(key=open_key, actor=alice, interval=DAY, grace=timedelta(hours=1))
    RotationPolicy.objects.filter(key=open_key).update(next_rotation_at=timezone.now() - timedelta(minutes=1))
    assert rotation_run().rolled == [open_key.id]  # the system's scheduled rotation keeps it rotating


def test_signing_secrets_and_client_certificates_follow_the_policy(alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, require_live_expiry=True, require_live_allowlist=True, role_scopes={"developer": ["*:read"]})
    base = {"organization": org, "name": "Signer", "scopes": ["orders:read"]}
    with pytest.raises(ValidationError, match="have an expiry"):
        signing_secret_create(actor=alice, allowed_networks=NETS, **base)
    with pytest.raises(ValidationError, match="IP allowlist"):
        signing_secret_create(actor=alice, expires_at=timezone.now() + DAY, **base)
    with pytest.raises(ValidationError, match="developers grant only"):
        signing_secret_create(
            actor=bob, **{**base, "scopes": ["orders:write"]}, allowed_networks=NETS, expires_at=timezone.now() + DAY
        )
    writer, _ = signing_secret_create(
        actor=alice, **{**base, "scopes": ["orders:write"]}, allowed_networks=NETS, expires_at=timezone.now() + DAY
    )
    with pytest.raises(ValidationError, match="developers grant only"):
        signing_secret_rotate(secret=writer, actor=bob)
    signing_secret_rotate(secret=writer, actor=alice)
    pem = make_cert("svc", not_after=timezone.now() + 20 * DAY).pem
    cert = {"organization": org, "actor": alice, "name": "Svc", "scopes": ["orders:read"], "certificate_pem": pem}
    with pytest.raises(ValidationError, match="IP allowlist"):
        client_certificate_register(**cert)
    assert client_certificate_register(**cert, allowed_networks=NETS).expires_at is not None


def test_new_live_keys_get_the_team_default_rotation_policy(alice, org) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, rotation_interval_days=30, rotation_grace_hours=48)
    live, _ = key_create(organization=org, actor=alice, name="Live", scopes=["orders:read"])
    test, _ = key_create(organization=org, actor=alice, name="Test", scopes=["orders:read"], environment="test")
    policy = RotationPolicy.objects.get(key=live)
    assert (policy.interval, policy.grace) == (30 * DAY, timedelta(hours=48))
    assert policy.next_rotation_at == live.created_at + 30 * DAY and policy.created_by == alice
    assert not RotationPolicy.objects.filter(key=test).exists()
    created = AuditEvent.objects.get(action="key.created", target_id=live.id)
    assert created.metadata["rotation_interval_days"] == 30
