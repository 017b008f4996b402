"""The team's key policies are set by owners and admins, on their own portal page and in the API; audited.

Developers and viewers read them; outsiders get 404; a credential may read them (`keys:read`) but never
change them, since they bind the credentials themselves.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Role
from accounts.services import user_signup
from audit.models import AuditEvent
from conftest import PASSWORD, key_client, login, set_policy
from keys.models import CredentialPolicy
from keys.policies.models import policy_for
from keys.services import key_create, key_revoke
from lib.tests.admin import admin_change_url

pytestmark = pytest.mark.django_db

FORM = {
    "max_lifetime_days": "90",
    "require_live_expiry": "on",
    "require_live_allowlist": "on",
    "admin_scopes": "",
    "developer_scopes": "*:read, webhooks:*",
    "max_age_days": "",
    "rotation_interval_days": "30",
    "rotation_grace_hours": "24",
}


@pytest.fixture
def adam(org):  # type: ignore[no-untyped-def]
    user = user_signup(email="adam@example.com", password=PASSWORD)
    Membership.objects.create(organization=org, user=user, role=Role.ADMIN)
    return user


@pytest.mark.parametrize(
    ("role", "can_save"), [("owner", True), ("admin", True), ("developer", False), ("viewer", False)]
)
def test_the_policies_page_by_role(client, org, alice, adam, bob, vera, role, can_save) -> None:  # type: ignore[no-untyped-def]
    user = {"owner": alice, "admin": adam, "developer": bob, "viewer": vera}[role]
    login(client, user)
    page = client.get(f"/orgs/{org.slug}/policies/")
    assert page.status_code == 200 and b"Scopes developers may grant" in page.content
    assert (b"Save policies" in page.content) is can_save
    response = client.post(f"/orgs/{org.slug}/policies/", FORM)
    policy = policy_for(org)
    if can_save:
        assert response.status_code == 302
        assert (policy.max_lifetime_days, policy.require_live_expiry, policy.require_live_allowlist) == (90, True, True)
        assert policy.role_scopes == {"developer": ["*:read", "webhooks:*"]}
        assert policy.rotation_interval_days == 30
        event = AuditEvent.objects.get(action="organization.policy_updated")
        assert event.actor_id == user.pk and event.metadata["changes"]["max_lifetime_days"] == {
            "before": None,
            "after": 90,
        }
    else:
        assert response.status_code == 403
        assert policy.pk is None and not AuditEvent.objects.filter(action="organization.policy_updated").exists()


def test_outsiders_get_404_on_the_policies_page_and_api(client, org, charlie) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.get(f"/orgs/{org.slug}/policies/").status_code == 404
    assert client.post(f"/orgs/{org.slug}/policies/", FORM).status_code == 404
    api = APIClient()
    login(api, charlie)
    assert api.get(f"/api/v1/policy?organization={org.slug}").status_code == 404
    assert (
        api.patch(f"/api/v1/policy?organization={org.slug}", {"max_lifetime_days": 1}, format="json").status_code == 404
    )


def test_bad_policy_input_gets_a_clear_400(client, api, org, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.post(f"/orgs/{org.slug}/policies/", {**FORM, "developer_scopes": "orders"})
    assert page.status_code == 200 and b"is not a scope pattern" in page.content
    login(api, alice)
    cases = [
        ({"role_scopes": {"owner": ["*:read"]}}, "role_scopes", "Only admins"),
        ({"role_scopes": {"developer": "*:read"}}, "role_scopes", "list of patterns"),
        ({"max_lifetime_days": 0}, "max_lifetime_days", "1 to 3650"),
        ({"rotation_interval_days": 1, "rotation_grace_hours": 48}, "rotation_grace_hours", "shorter than"),
        ({"rotation_grace_hours": 10_000}, "rotation_grace_hours", "1 to 720"),
    ]
    for body, field, message in cases:
        response = api.patch("/api/v1/policy", body, format="json")
        assert response.status_code == 400, body
        assert message in " ".join(response.json()["error"]["detail"][field]), response.json()
    assert not CredentialPolicy.objects.filter(organization=org, rotation_interval_days=1).exists()


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("admin", 200), ("developer", 403), ("viewer", 403)])
def test_the_policy_api_by_role(org, alice, adam, bob, vera, role, status) -> None:  # type: ignore[no-untyped-def]
    user = {"owner": alice, "admin": adam, "developer": bob, "viewer": vera}[role]
    api = APIClient()
    login(api, user)
    read = api.get("/api/v1/policy")
    assert read.status_code == 200 and read.json()["organization"] == org.slug
    response = api.patch("/api/v1/policy", {"require_live_allowlist": True}, format="json")
    assert response.status_code == status
    assert policy_for(org).require_live_allowlist is (status == 200)
    if status == 200:
        assert response.json()["require_live_allowlist"] is True


def test_credentials_read_the_policy_with_keys_read_and_never_change_it(org) -> None:  # type: ignore[no-untyped-def]
    manager, manage = key_create(organization=org, actor=None, name="M", scopes=["keys:manage"], environment="test")
    _, orders = key_create(organization=org, actor=None, name="O", scopes=["orders:read"], environment="test")
    assert key_client(manage).get("/api/v1/policy").status_code == 200
    denied = key_client(orders).get("/api/v1/policy")
    assert denied.status_code == 403 and "keys:read" in denied.json()["error"]["message"]
    refused = key_client(manage).patch("/api/v1/policy", {"require_live_expiry": False}, format="json")
    assert refused.status_code == 403 and "not a credential" in refused.json()["error"]["message"]
    key_revoke(key=manager, actor=None)
    assert key_client(manage).get("/api/v1/policy").status_code == 401


def test_the_admin_shows_each_team_policy_read_only(admin_client, org) -> None:  # type: ignore[no-untyped-def]
    policy = set_policy(org, max_lifetime_days=30)
    listing = admin_client.get("/admin/keys/credentialpolicy/")
    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == [policy]
    detail = admin_client.get(admin_change_url(policy))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content
