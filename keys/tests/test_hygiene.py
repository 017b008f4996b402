"""The hygiene report flags credentials that predate the policy or look abandoned; each is fixed in one click
through the kind's own lifecycle services; a weekly job emails owners and admins the idle ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Membership, Role
from accounts.services import user_signup
from audit.models import AuditEvent
from conftest import PASSWORD, login, set_policy
from keys.models import APIKey, KeyStatus, SigningSecret
from keys.policies.hygiene import hygiene_findings, idle_report_run
from keys.services import key_create, signing_secret_create
from keys.tests.jobs_helpers import NOW, send_queued_emails

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)
NETS = ["192.0.2.0/24"]


@pytest.fixture
def credentials(org):  # type: ignore[no-untyped-def]
    """An old, idle live key with no expiry nor allowlist; a test key never used; a healthy live key in use;
    a live signing secret without an expiry."""
    now = timezone.now()
    old, _ = key_create(organization=org, actor=None, name="Legacy", scopes=["orders:read"])
    APIKey.objects.filter(pk=old.pk).update(created_at=now - 100 * DAY, last_used_at=now - 95 * DAY)
    unused, _ = key_create(organization=org, actor=None, name="Unused", scopes=["orders:read"], environment="test")
    APIKey.objects.filter(pk=unused.pk).update(created_at=now - 10 * DAY)
    healthy, _ = key_create(
        organization=org,
        actor=None,
        name="Healthy",
        scopes=["orders:read"],
        expires_at=now + 20 * DAY,
        allowed_networks=NETS,
    )
    APIKey.objects.filter(pk=healthy.pk).update(last_used_at=now - DAY)
    secret, _ = signing_secret_create(organization=org, actor=None, name="Signer", scopes=["orders:read"])
    SigningSecret.objects.filter(pk=secret.pk).update(last_used_at=now - DAY)
    return {"old": old, "unused": unused, "healthy": healthy, "secret": secret}


def test_each_flag_is_found(org, credentials) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, max_age_days=60)
    found = {f.credential.name: f.flags for f in hygiene_findings(org)}
    assert found == {
        "Legacy": ["no_expiry", "no_allowlist", "idle", "over_max_age"],
        "Unused": ["never_used"],
        "Signer": ["no_expiry", "no_allowlist"],
    }


def test_the_page_lists_them_and_only_writers_get_the_fixes(client, org, alice, vera, credentials) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/hygiene/")
    assert page.status_code == 200 and b"Legacy" in page.content and b"Healthy" not in page.content
    assert f"/orgs/{org.slug}/keys/{credentials['old'].id}/roll".encode() in page.content
    assert b"Expire in 30 days" in page.content
    login(client, vera)
    read_only = client.get(f"/orgs/{org.slug}/hygiene/")
    assert b"Legacy" in read_only.content and b"Revoke</button>" not in read_only.content
    fix = f"/orgs/{org.slug}/hygiene/api_key/{credentials['old'].id}/revoke"
    assert client.post(fix).status_code == 403


def test_outsiders_get_404(client, org, charlie, credentials) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.get(f"/orgs/{org.slug}/hygiene/").status_code == 404
    assert client.post(f"/orgs/{org.slug}/hygiene/api_key/{credentials['old'].id}/expiry").status_code == 404


def test_one_click_fixes_go_through_the_lifecycle_services(client, org, alice, bob, charlie_org, credentials) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, max_lifetime_days=14)
    login(client, alice)
    old, secret = credentials["old"], credentials["secret"]
    client.post(f"/orgs/{org.slug}/hygiene/api_key/{old.id}/expiry")
    old.refresh_from_db()
    assert old.expires_at is not None and old.expires_at <= timezone.now() + 14 * DAY
    assert AuditEvent.objects.filter(action="key.updated", target_id=old.id, actor_id=alice.pk).exists()
    client.post(f"/orgs/{org.slug}/hygiene/signing_secret/{secret.pk}/revoke")
    secret.refresh_from_db()
    assert secret.status == KeyStatus.REVOKED and secret.revoked_reason == "hygiene report"
    rolled = client.post(f"/orgs/{org.slug}/keys/{old.id}/roll", {"grace": "86400"})
    assert rolled.status_code == 302 and APIKey.objects.filter(predecessor=old).exists()  # to the reveal page
    # Another team's credential, or a kind that does not exist: 404.
    other, _ = key_create(organization=charlie_org, actor=None, name="Theirs", scopes=["orders:read"])
    assert client.post(f"/orgs/{org.slug}/hygiene/api_key/{other.id}/revoke").status_code == 404
    assert client.post(f"/orgs/{org.slug}/hygiene/oauth_app/1/revoke").status_code == 404
    # Fixing a live credential needs sudo, as every change to one does: refused with a message, not a change.
    login(client, bob, sudo=False)
    refused = client.post(f"/orgs/{org.slug}/hygiene/api_key/{credentials['healthy'].id}/revoke", follow=True)
    assert b"Confirm your password" in refused.content
    assert APIKey.objects.get(pk=credentials["healthy"].pk).status == KeyStatus.ACTIVE


def test_the_weekly_report_emails_owners_and_admins_once_a_week(org, alice, bob) -> None:  # type: ignore[no-untyped-def]
    adam = user_signup(email="adam@example.com", password=PASSWORD)
    Membership.objects.create(organization=org, user=adam, role=Role.ADMIN)
    with time_machine.travel(NOW, tick=False) as traveller:
        key_create(organization=org, actor=bob, name="Forgotten", scopes=["orders:read"], environment="test")
        assert idle_report_run() == 0  # new keys are not "never used" yet
        traveller.shift(8 * DAY)
        assert idle_report_run() == 1
        assert idle_report_run() == 0  # a rerun, or a second beat, in the same week
        traveller.shift(7 * DAY)
        assert idle_report_run() == 1
    first, second = send_queued_emails()
    assert first.to == ["adam@example.com", "alice@example.com"]  # owners and admins, not the developer
    assert "Forgotten" in first.body and "never used" in first.body and f"/orgs/{org.slug}/hygiene/" in first.body
    assert "idle credential" in first.subject
