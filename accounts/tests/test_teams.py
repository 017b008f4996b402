from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.departures import membership_remove
from accounts.models import Membership, Organization, Role
from accounts.services import membership_set_role
from audit.models import AuditEvent
from conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def test_user_creates_another_team_and_switches(client, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post("/orgs/", {"name": "Acme Payments"})
    org = Organization.objects.get(name="Acme Payments")
    assert response["Location"] == f"/orgs/{org.slug}/"
    assert Membership.objects.get(organization=org, user=alice).role == Role.OWNER
    personal = Organization.objects.get(is_personal=True, memberships__user=alice)
    client.post(f"/orgs/{personal.slug}/switch")
    assert client.get("/")["Location"] == f"/orgs/{personal.slug}/"


def test_invitation_round_trip(client, alice, org, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/{org.slug}/members/", {"email": "erin@example.com", "role": "viewer"})
    assert len(mail.outbox) == 1
    link = re.search(r"/invitations/[^/\s]+/", mail.outbox[0].body)
    assert link is not None
    token_path = link.group(0)
    assert token_path.split("/")[2] not in str(list(org.invitations.values()))  # only its hash is stored
    client.post("/logout/")
    client.post("/signup/", {"email": "erin@example.com", "password": PASSWORD})
    client.post("/login/", {"username": "erin@example.com", "password": PASSWORD})  # sign-up logs nobody in
    assert client.get(token_path).status_code == 200
    accepted = client.post(token_path)
    assert accepted["Location"] == f"/orgs/{org.slug}/"
    assert Membership.objects.get(organization=org, user__email="erin@example.com").role == Role.VIEWER
    assert client.post(token_path).status_code == 404  # single use


def test_invitation_is_bound_to_its_email(client, alice, org, charlie, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/orgs/{org.slug}/members/", {"email": "erin@example.com", "role": "developer"})
    path = re.search(r"/invitations/[^/\s]+/", mail.outbox[0].body).group(0)  # type: ignore[union-attr]
    login(client, charlie)
    client.post(path)
    assert not Membership.objects.filter(organization=org, user=charlie).exists()


def test_only_owners_and_admins_invite(client, bob, vera, org) -> None:  # type: ignore[no-untyped-def]
    for user in (bob, vera):
        login(client, user)
        assert (
            client.post(f"/orgs/{org.slug}/members/", {"email": "x@example.com", "role": "viewer"}).status_code == 403
        )
    assert len(mail.outbox) == 0


def test_team_keeps_at_least_one_owner(alice, org) -> None:  # type: ignore[no-untyped-def]
    owner = Membership.objects.get(user=alice, organization=org)
    with pytest.raises(ValidationError, match="at least one owner"):
        membership_set_role(by=owner, target=owner, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="at least one owner"):
        membership_remove(by=owner, target=owner)


def test_admins_cannot_touch_owners(alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    admin = Membership.objects.get(user=bob, organization=org)
    admin.role = Role.ADMIN
    admin.save()
    owner = Membership.objects.get(user=alice, organization=org)
    with pytest.raises(PermissionDenied):
        membership_set_role(by=admin, target=owner, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        membership_remove(by=admin, target=owner)


def test_role_change_and_removal_are_audited(client, alice, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    member = Membership.objects.get(user=bob, organization=org)
    client.post(f"/orgs/{org.slug}/members/{member.pk}/role", {"role": "viewer"})
    client.post(f"/orgs/{org.slug}/members/{member.pk}/remove")
    actions = list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True))
    assert "membership.role_changed" in actions and "membership.removed" in actions
    assert not Membership.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/{slug}/",
        "/orgs/{slug}/keys/",
        "/orgs/{slug}/keys/new",
        "/orgs/{slug}/members/",
        "/orgs/{slug}/settings/",
        "/orgs/{slug}/audit/",
    ],
)
def test_outsider_gets_404_on_every_team_page(client, charlie, org, path) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.get(path.format(slug=org.slug)).status_code == 404
    assert client.post(path.format(slug=org.slug), {}).status_code in (404, 405)


def test_outsider_cannot_switch_to_or_manage_members_of_a_team(client, charlie, org, bob) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    member = Membership.objects.get(user=bob, organization=org)
    assert client.post(f"/orgs/{org.slug}/switch").status_code == 404
    assert client.post(f"/orgs/{org.slug}/members/{member.pk}/role", {"role": "owner"}).status_code == 404
    assert client.post(f"/orgs/{org.slug}/members/{member.pk}/remove").status_code == 404
    assert Membership.objects.get(pk=member.pk).role == Role.DEVELOPER


def test_team_settings_rename_the_team_and_viewers_cannot(client, alice, vera, org) -> None:  # type: ignore[no-untyped-def]
    login(client, vera)
    assert client.post(f"/orgs/{org.slug}/settings/", {"name": "x"}).status_code == 403
    login(client, alice)
    client.post(f"/orgs/{org.slug}/settings/", {"name": "Renamed"})
    org.refresh_from_db()
    assert org.name == "Renamed"
