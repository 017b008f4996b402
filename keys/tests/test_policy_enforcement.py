"""Each team policy is enforced on the portal, the API and the operator command, for every role.

The team requires live credentials to expire within 30 days and to have an IP allowlist, and lets
developers grant only `*:read`. Viewers are refused before any policy; outsiders get 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Membership, Role
from accounts.services import user_signup
from conftest import PASSWORD, key_client, set_policy
from keys.models import APIKey
from keys.services import key_create, key_revoke
from keys.tests.policy_helpers import PATHS, create_via

pytestmark = pytest.mark.django_db

POLICY = {
    "max_lifetime_days": 30,
    "require_live_expiry": True,
    "require_live_allowlist": True,
    "role_scopes": {"developer": ["*:read"]},
}
ROLES = ("owner", "admin", "developer", "viewer")


@pytest.fixture
def people(org, alice, bob, vera):  # type: ignore[no-untyped-def]
    adam = user_signup(email="adam@example.com", password=PASSWORD)
    Membership.objects.create(organization=org, user=adam, role=Role.ADMIN)
    set_policy(org, **POLICY)
    return {"owner": alice, "admin": adam, "developer": bob, "viewer": vera}


# (what is asked, then the outcome for owner, admin, developer; viewers always get 403)
CASES = [
    ({}, ("created", "created", "created")),
    ({"days": None}, ("requires live credentials to have an expiry",) * 3),
    ({"days": 90}, ("at most 30 days",) * 3),
    ({"networks": ""}, ("IP allowlist",) * 3),
    ({"scopes": "orders:write"}, ("created", "created", "developers grant only *:read")),
    ({"scopes": "keys:manage"}, ("created", "created", "not allowed: keys:manage")),
    # Test keys need neither expiry nor allowlist, but keep the lifetime and the role's scopes.
    ({"environment": "test", "days": 7, "networks": ""}, ("created", "created", "created")),
    ({"environment": "test", "days": 90}, ("at most 30 days",) * 3),
    ({"environment": "test", "scopes": "orders:write"}, ("created", "created", "developers grant only *:read")),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("spec", "expected"), CASES)
def test_every_role_on_every_path_is_held_to_the_policy(client, org, people, path, spec, expected) -> None:  # type: ignore[no-untyped-def]
    for role, want in zip(ROLES, (*expected, "viewer"), strict=True):
        outcome, text = create_via(path, client, people[role], org, name=f"{role} probe", **spec)
        if want == "viewer":
            assert outcome == "403", (path, role, outcome, text)
        elif want == "created":
            assert outcome == "created", (path, role, text)
        else:
            assert outcome == "400", (path, role, outcome)
            assert want in text, (path, role, text)


@pytest.mark.parametrize("path", PATHS)
def test_outsiders_get_404_on_every_path(client, org, people, charlie, path) -> None:  # type: ignore[no-untyped-def]
    assert create_via(path, client, charlie, org)[0] == "404"


def test_the_operator_acting_as_the_system_is_held_to_the_policy_but_not_to_a_role(org, people) -> None:  # type: ignore[no-untyped-def]
    base = ["--org", org.slug, "--name", "ops", "--env", "live"]
    with pytest.raises(CommandError, match="requires live credentials to have an expiry"):
        call_command("create_api_key", *base, "--scopes", "orders:read", "--allowed-networks", "10.0.0.0/8")
    with pytest.raises(CommandError, match="IP allowlist"):
        call_command("create_api_key", *base, "--scopes", "orders:read", "--expires-in", "7d")
    call_command(
        "create_api_key", *base, "--scopes", "orders:write", "--expires-in", "7d", "--allowed-networks", "10.0.0.0/8"
    )
    assert APIKey.objects.get(name="ops").scopes == ["orders:write"]


def test_a_credential_caller_is_held_to_the_policy_too(org, people) -> None:  # type: ignore[no-untyped-def]
    manager, plaintext = key_create(
        organization=org,
        actor=None,
        name="Provisioner",
        scopes=["keys:manage", "orders:read"],
        expires_at=timezone.now() + timedelta(days=20),
        allowed_networks=["127.0.0.0/8"],
    )
    api = key_client(plaintext)
    body = {"name": "From a key", "scopes": ["orders:read"], "environment": "live"}
    refused = api.post("/api/v1/keys/", body, format="json")
    assert refused.status_code == 400 and "expiry" in str(refused.json()["error"]["detail"])
    expires = (timezone.now() + timedelta(days=10)).isoformat()
    ok = api.post("/api/v1/keys/", {**body, "expires_at": expires, "allowed_networks": ["127.0.0.1/32"]}, format="json")
    assert ok.status_code == 201, ok.json()


def test_a_credential_without_the_manage_scope_gets_403_and_a_revoked_one_401(org, people) -> None:  # type: ignore[no-untyped-def]
    reader, plaintext = key_create(
        organization=org,
        actor=None,
        name="Reader",
        scopes=["keys:read"],
        environment="test",
        expires_at=timezone.now() + timedelta(days=5),
    )
    body = {"name": "x", "scopes": ["orders:read"], "environment": "test"}
    denied = key_client(plaintext).post("/api/v1/keys/", body, format="json")
    assert denied.status_code == 403 and "keys:manage" in denied.json()["error"]["message"]
    key_revoke(key=reader, actor=None)
    assert key_client(plaintext).post("/api/v1/keys/", body, format="json").status_code == 401
