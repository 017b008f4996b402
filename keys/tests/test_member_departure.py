"""When a member leaves, the team's departure policy decides about the credentials they created:
keep them, reassign them to a chosen member, or revoke them. Every removal is audited; the last
owner cannot leave, and ownership can be handed over."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.departures import membership_remove, ownership_transfer, user_deactivate
from accounts.models import Membership, Role, UserSession
from audit.models import AuditEvent
from conftest import PASSWORD, key_client, login
from keys.models import APIKey, KeyStatus, SigningSecret
from keys.services import key_create
from keys.signing.services import signing_secret_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_credentials(org, bob):  # type: ignore[no-untyped-def]
    key, plaintext = key_create(organization=org, actor=bob, name="Bob's key", scopes=["orders:read"])
    secret = signing_secret_create(organization=org, actor=bob, name="Bob's secret", scopes=["orders:read"])[0]
    return key, plaintext, secret


def _m(user, org) -> Membership:  # type: ignore[no-untyped-def]
    return Membership.objects.select_related("organization", "user").get(user=user, organization=org)


def _policy(org, policy: str) -> None:  # type: ignore[no-untyped-def]
    org.departure_policy = policy
    org.save()


def test_keep_leaves_the_credentials_working(alice, bob, org, bobs_credentials) -> None:  # type: ignore[no-untyped-def]
    key, plaintext, _ = bobs_credentials
    membership_remove(by=_m(alice, org), target=_m(bob, org))
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 200
    event = AuditEvent.objects.get(action="membership.removed")
    assert event.actor_id == alice.pk and event.metadata["policy"] == "keep" and event.metadata["user"] == bob.email


def test_revoke_revokes_everything_they_created_and_nothing_else(alice, bob, org, bobs_credentials, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext, secret = bobs_credentials
    alices, alices_plaintext = make_key()
    _policy(org, "revoke")
    membership_remove(by=_m(alice, org), target=_m(bob, org))
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 401
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.REVOKED
    assert SigningSecret.objects.get(pk=secret.pk).status == KeyStatus.REVOKED
    assert key_client(alices_plaintext).get("/api/v1/whoami").status_code == 200
    event = AuditEvent.objects.get(action="membership.removed")
    assert event.metadata["credentials"] == {"apikey": 1, "signingsecret": 1}
    assert AuditEvent.objects.filter(action="key.revoked", target_id=key.pk).exists()


def test_reassign_gives_them_to_the_chosen_member(alice, bob, org, bobs_credentials) -> None:  # type: ignore[no-untyped-def]
    key, plaintext, secret = bobs_credentials
    _policy(org, "reassign")
    with pytest.raises(ValidationError):
        membership_remove(by=_m(alice, org), target=_m(bob, org))
    assert Membership.objects.filter(user=bob, organization=org).exists()
    membership_remove(by=_m(alice, org), target=_m(bob, org), reassign_to=_m(alice, org))
    assert APIKey.objects.get(pk=key.pk).created_by == alice
    assert SigningSecret.objects.get(pk=secret.pk).created_by == alice
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 200
    assert AuditEvent.objects.get(action="credentials.reassigned").metadata["to"] == alice.email


def test_reassign_refuses_a_viewer_or_an_outsider(
    alice, bob, vera, charlie, charlie_org, org, bobs_credentials
) -> None:  # type: ignore[no-untyped-def]
    _policy(org, "reassign")
    for heir in (_m(vera, org), _m(charlie, charlie_org), _m(bob, org)):
        with pytest.raises(ValidationError):
            membership_remove(by=_m(alice, org), target=_m(bob, org), reassign_to=heir)
    assert Membership.objects.filter(user=bob, organization=org).exists()


def test_the_portal_asks_who_takes_over_under_reassign(client, alice, bob, org, bobs_credentials) -> None:  # type: ignore[no-untyped-def]
    key = bobs_credentials[0]
    _policy(org, "reassign")
    login(client, alice)
    target = _m(bob, org)
    page = client.post(f"/orgs/{org.slug}/members/{target.pk}/remove")
    assert page.status_code == 200 and b"Give their credentials to" in page.content
    done = client.post(f"/orgs/{org.slug}/members/{target.pk}/remove", {"reassign_to": _m(alice, org).pk})
    assert done["Location"] == f"/orgs/{org.slug}/members/"
    assert APIKey.objects.get(pk=key.pk).created_by == alice
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_the_portal_removal_refuses_developers_and_outsiders(client, bob, charlie, org, alice) -> None:  # type: ignore[no-untyped-def]
    target = _m(alice, org)
    login(client, bob)
    assert client.post(f"/orgs/{org.slug}/members/{target.pk}/remove").status_code == 403
    login(client, charlie)
    assert client.post(f"/orgs/{org.slug}/members/{target.pk}/remove").status_code == 404


def test_the_last_owner_cannot_leave_until_they_transfer_ownership(alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="Transfer ownership"):
        membership_remove(by=_m(alice, org), target=_m(alice, org))
    ownership_transfer(by=_m(alice, org), to=_m(bob, org))
    assert _m(bob, org).role == Role.OWNER and _m(alice, org).role == Role.ADMIN
    membership_remove(by=_m(alice, org), target=_m(alice, org))
    assert not Membership.objects.filter(user=alice, organization=org).exists()
    assert AuditEvent.objects.filter(action="organization.ownership_transferred", organization=org).exists()


def test_only_an_owner_transfers_ownership(client, alice, bob, vera, org) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        ownership_transfer(by=_m(bob, org), to=_m(vera, org))
    login(client, bob)
    assert client.post(f"/orgs/{org.slug}/members/{_m(vera, org).pk}/transfer-ownership").status_code == 403
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/members/{_m(bob, org).pk}/transfer-ownership")
    assert response.status_code == 302 and _m(bob, org).role == Role.OWNER
    login(client, alice)
    # Alice is an admin now: she can no longer hand the team on.
    assert client.post(f"/orgs/{org.slug}/members/{_m(vera, org).pk}/transfer-ownership").status_code == 403


def test_deactivating_an_account_applies_each_teams_policy_and_ends_its_sessions(
    client, alice, bob, org, bobs_credentials
) -> None:  # type: ignore[no-untyped-def]
    _, plaintext, _ = bobs_credentials
    _policy(org, "revoke")
    client.post("/login/", {"username": bob.email, "password": PASSWORD})
    assert UserSession.objects.filter(user=bob).exists()
    user_deactivate(user=bob, actor=alice)
    bob.refresh_from_db()
    assert not bob.is_active and not Membership.objects.filter(user=bob, organization=org).exists()
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 401
    assert client.get("/orgs/")["Location"].startswith("/login/")
    assert AuditEvent.objects.filter(action="user.deactivated", target_id=str(bob.pk)).exists()


def test_the_admin_deactivates_an_account_with_its_departures(admin_client, bob, org, bobs_credentials) -> None:  # type: ignore[no-untyped-def]
    _policy(org, "revoke")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [bob.pk]}, follow=True
    )
    assert response.status_code == 200 and b"Deactivated 1 account" in response.content
    bob.refresh_from_db()
    assert not bob.is_active and APIKey.objects.get(pk=bobs_credentials[0].pk).status == KeyStatus.REVOKED
