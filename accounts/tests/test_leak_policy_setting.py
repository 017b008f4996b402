"""The team's leak policy (what a secret scanner's report does to a key) is set on the team settings page,
by owners and admins only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import LeakPolicy, Membership
from accounts.services import organization_update
from audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db


def test_new_teams_revoke_leaked_keys(org) -> None:  # type: ignore[no-untyped-def]
    assert org.leak_policy == LeakPolicy.REVOKE


def test_an_owner_sets_the_leak_policy_on_the_settings_page(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/settings/")
    assert page.status_code == 200 and 'name="leak_policy"' in page.content.decode()
    response = client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "leak_policy": "roll"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.leak_policy == LeakPolicy.ROLL
    event = AuditEvent.objects.get(action="organization.updated")
    assert (event.metadata["before"]["leak_policy"], event.metadata["after"]["leak_policy"]) == ("revoke", "roll")


def test_leaving_the_policy_out_keeps_it(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    org.leak_policy = LeakPolicy.NOTIFY
    org.save(update_fields=["leak_policy"])
    login(client, alice)
    client.post(f"/orgs/{org.slug}/settings/", {"name": "Renamed"})
    org.refresh_from_db()
    assert (org.name, org.leak_policy) == ("Renamed", LeakPolicy.NOTIFY)


def test_an_unknown_policy_is_a_form_error(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "leak_policy": "ignore"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    org.refresh_from_db()
    assert org.leak_policy == LeakPolicy.REVOKE


def test_developers_and_viewers_cannot_change_it(client, bob, vera, org) -> None:  # type: ignore[no-untyped-def]
    for user in (bob, vera):
        login(client, user)
        assert (
            client.post(f"/orgs/{org.slug}/settings/", {"name": org.name, "leak_policy": "notify"}).status_code == 403
        )
    org.refresh_from_db()
    assert org.leak_policy == LeakPolicy.REVOKE


def test_outsiders_get_404(client, charlie, org) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.post(f"/orgs/{org.slug}/settings/", {"name": "x", "leak_policy": "notify"}).status_code == 404


def test_the_service_refuses_an_unknown_policy(alice, org) -> None:  # type: ignore[no-untyped-def]
    membership = Membership.objects.get(user=alice, organization=org)
    with pytest.raises(ValidationError):
        organization_update(membership=membership, name=org.name, leak_policy="ignore")
