"""A team that requires a second factor: members without one are sent to enrol and kept out until they do."""

from __future__ import annotations

import pytest

from accounts.tests.mfa_helpers import enrol_totp
from audit.models import AuditEvent
from conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_org(org, alice):  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    org.require_mfa = True
    org.save()
    return org


def test_an_admin_without_a_second_factor_cannot_require_one(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "require_mfa": "on"})
    assert response.status_code == 200 and b"before requiring one" in response.content
    org.refresh_from_db()
    assert not org.require_mfa


def test_an_admin_with_one_requires_it_and_it_is_audited(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    enrol_totp(alice)
    login(client, alice)
    client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "require_mfa": "on", "departure_policy": "revoke"})
    org.refresh_from_db()
    assert org.require_mfa and org.departure_policy == "revoke"
    event = AuditEvent.objects.filter(action="organization.updated", organization=org).latest("id")
    assert event.metadata["after"]["require_mfa"] is True


def test_a_developer_cannot_change_the_requirement(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "require_mfa": "on"}).status_code == 403


def test_an_unknown_departure_policy_is_a_form_error(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "departure_policy": "burn"})
    assert response.status_code == 200 and b"not one of the available choices" in response.content


def test_a_member_without_a_second_factor_is_sent_to_enrol_from_every_team_page(client, bob, strict_org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    for path in (f"/orgs/{strict_org.slug}/keys/", f"/orgs/{strict_org.slug}/members/", f"/orgs/{strict_org.slug}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/account/security/?next=")
    assert b"requires a second factor" in client.get("/account/security/").content


def test_the_api_answers_403_with_the_reason(client, bob, strict_org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    response = client.get(f"/api/v1/signing-secrets/?organization={strict_org.slug}")
    assert response.status_code == 403 and b"requires a second factor" in response.content


def test_enrolling_opens_the_team_again(client, bob, strict_org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.get(f"/orgs/{strict_org.slug}/keys/").status_code == 302
    enrol_totp(bob)
    assert client.get(f"/orgs/{strict_org.slug}/keys/").status_code == 200


def test_the_login_walks_a_member_to_enrolment(client, bob, strict_org) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login/", {"username": bob.email, "password": PASSWORD})
    assert response["Location"].startswith("/account/security/?next=")


def test_other_teams_stay_open(client, bob, strict_org) -> None:  # type: ignore[no-untyped-def]
    from accounts.models import Membership

    login(client, bob)
    own = Membership.objects.filter(user=bob).exclude(organization=strict_org).get().organization
    assert client.get(f"/orgs/{own.slug}/keys/").status_code == 200


def test_outsiders_still_get_404(client, charlie, strict_org) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.get(f"/orgs/{strict_org.slug}/keys/").status_code == 404
