"""The one authorization rule, as a matrix: action, kind and caller → status, in the API and the portal.

A test key holding `keys:manage` gets 403 or 404 for every management action on any live credential of
any kind and never receives a live secret; a narrow key never acts on a credential beyond its own scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import login
from keys.apikeys.rotation import rotation_policy_set
from keys.models import APIKey, ClientCertificate, KeyStatus, RotationPolicy
from keys.services import (
    client_certificate_register,
    key_create,
    key_disable,
    signing_secret_create,
)
from keys.tests.pki import make_cert

pytestmark = pytest.mark.django_db

POLICY = {"interval_seconds": 30 * 86400, "grace_seconds": 86400}
TARGET_SCOPES = ["orders:write"]


@dataclass(frozen=True)
class Case:
    kind: str
    action: str
    method: str
    path: str  # with {id}
    body: dict[str, Any]
    ok: int = 200
    secret_field: str = ""  # where a successful answer carries a new secret


ACTIONS = [
    Case("api_key", "update", "patch", "/api/v1/keys/{id}", {"name": "Renamed"}),
    Case("api_key", "roll", "post", "/api/v1/keys/{id}/roll", {"grace_seconds": 0}, secret_field="key"),
    Case("api_key", "revoke", "post", "/api/v1/keys/{id}/revoke", {"reason": "x"}),
    Case("api_key", "disable", "post", "/api/v1/keys/{id}/disable", {}),
    Case("api_key", "enable", "post", "/api/v1/keys/{id}/enable", {}),
    Case("api_key", "policy_put", "put", "/api/v1/keys/{id}/rotation-policy", POLICY),
    Case("api_key", "policy_delete", "delete", "/api/v1/keys/{id}/rotation-policy", {}, ok=204),
    Case("signing_secret", "update", "patch", "/api/v1/signing-secrets/{id}", {"name": "Renamed"}),
    Case(
        "signing_secret",
        "rotate",
        "post",
        "/api/v1/signing-secrets/{id}/rotate",
        {"grace_seconds": 0},
        secret_field="secret",
    ),
    Case("signing_secret", "revoke", "post", "/api/v1/signing-secrets/{id}/revoke", {"reason": "x"}),
    Case("client_certificate", "update", "patch", "/api/v1/client-certificates/{id}", {"name": "Renamed"}),
    Case("client_certificate", "revoke", "post", "/api/v1/client-certificates/{id}/revoke", {"reason": "x"}),
]

# caller → expected status on a LIVE target with scopes orders:write (None: the action's own success code)
CALLERS: dict[str, int | None] = {
    "owner": None,
    "developer": None,
    "viewer": 403,
    "outsider": 404,
    "test_key": 403,
    "live_key": None,
    "narrow_key": 403,
}


def _target(kind: str, action: str, org: Any, alice: Any, environment: str) -> Any:
    common = {
        "organization": org,
        "actor": alice,
        "name": "Target",
        "scopes": TARGET_SCOPES,
        "environment": environment,
    }
    if kind == "api_key":
        key, _ = key_create(**common)
        if action == "enable":
            key_disable(key=key, actor=alice)
        if action == "policy_delete":
            from datetime import timedelta

            rotation_policy_set(key=key, actor=alice, interval=timedelta(days=30), grace=timedelta(days=1))
        return key
    if kind == "signing_secret":
        return signing_secret_create(**common)[0]
    return client_certificate_register(**common, certificate_pem=make_cert(f"svc-{environment}").pem)


def _snapshot(target: Any) -> tuple[Any, ...]:
    target = type(target).objects.get(pk=target.pk)
    policy = RotationPolicy.objects.filter(key_id=target.pk).values_list("interval", flat=True).first()
    rolled = APIKey.objects.filter(predecessor_id=target.pk).exists() if isinstance(target, APIKey) else None
    version = getattr(target, "secret_version", None)
    return (target.name, target.status, target.allowed_networks, target.expires_at, version, policy, rolled)


def _client(caller: str, request: Any, org: Any, alice: Any) -> tuple[APIClient, str]:
    """An API client acting as `caller`, and the query string people add to name the team."""
    client = APIClient()
    people = {"owner": "alice", "developer": "bob", "viewer": "vera", "outsider": "charlie"}
    if caller in people:
        login(client, request.getfixturevalue(people[caller]))
        return client, f"?organization={org.slug}"
    environment, scopes = {
        "test_key": ("test", ["keys:manage", "orders:write"]),
        "live_key": ("live", ["keys:manage", "orders:write"]),
        "narrow_key": ("live", ["keys:manage", "orders:read"]),
    }[caller]
    _, plaintext = key_create(organization=org, actor=alice, name=caller, scopes=scopes, environment=environment)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client, ""


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("case", ACTIONS, ids=lambda c: f"{c.kind}-{c.action}")
def test_every_management_action_on_a_live_credential(case: Case, caller: str, request, org, alice) -> None:  # type: ignore[no-untyped-def]
    target = _target(case.kind, case.action, org, alice, "live")
    before = _snapshot(target)
    client, query = _client(caller, request, org, alice)
    response = getattr(client, case.method)(case.path.format(id=target.pk) + query, case.body, format="json")
    expected = CALLERS[caller] or case.ok
    assert response.status_code == expected, (case, caller, response.content)
    if expected >= 400:
        assert _snapshot(target) == before, "a refused action changed nothing"
        assert b"ak_live_" not in response.content and b"hss_" not in response.content, "never a live secret"
    elif case.secret_field:
        assert response.json()[case.secret_field]


@pytest.mark.parametrize("case", ACTIONS, ids=lambda c: f"{c.kind}-{c.action}")
def test_a_test_key_manages_test_credentials(case: Case, request, org, alice) -> None:  # type: ignore[no-untyped-def]
    target = _target(case.kind, case.action, org, alice, "test")
    client, _ = _client("test_key", request, org, alice)
    response = getattr(client, case.method)(case.path.format(id=target.pk), case.body, format="json")
    assert response.status_code == case.ok, response.content


@pytest.mark.parametrize("caller", ["test_key", "live_key", "narrow_key"])
def test_credentials_never_touch_a_certificate_authority_beyond_reach(caller, request, org, alice) -> None:  # type: ignore[no-untyped-def]
    from keys.services import certificate_authority_register
    from keys.tests.pki import make_ca

    authority = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=make_ca().pem)
    client, _ = _client(caller, request, org, alice)
    revoked = client.post(f"/api/v1/certificate-authorities/{authority.pk}/revoke", {}, format="json")
    registered = client.post(
        "/api/v1/certificate-authorities/", {"name": "CA2", "certificate": make_ca().pem}, format="json"
    )
    expected = 200 if caller != "test_key" else 403
    assert revoked.status_code == expected, revoked.content
    assert registered.status_code in ((201,) if caller != "test_key" else (403,)), registered.content


def test_the_issue_s_escalations_are_closed(org, alice, request) -> None:  # type: ignore[no-untyped-def]
    """The exact calls of issue 9, from a test key holding only keys:manage."""
    live_key, _ = key_create(
        organization=org, actor=alice, name="Owner's", scopes=["orders:write"], allowed_networks=["203.0.113.0/24"]
    )
    live_secret = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:write"])[0]
    _, plaintext = key_create(organization=org, actor=alice, name="t", scopes=["keys:manage"], environment="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    calls = [
        ("post", f"/api/v1/signing-secrets/{live_secret.pk}/rotate", {}),
        ("patch", f"/api/v1/keys/{live_key.id}", {"allowed_networks": [], "expires_at": None}),
        ("patch", f"/api/v1/keys/{live_key.id}", {"rate_limit": 1}),
        ("post", f"/api/v1/keys/{live_key.id}/disable", {}),
        ("post", f"/api/v1/keys/{live_key.id}/revoke", {}),
        ("put", f"/api/v1/keys/{live_key.id}/rotation-policy", POLICY),
        ("delete", f"/api/v1/keys/{live_key.id}/rotation-policy", {}),
        ("post", f"/api/v1/signing-secrets/{live_secret.pk}/revoke", {}),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code in (403, 404), (method, path, response.content)
        assert b"hss_" not in response.content
    live_key.refresh_from_db()
    live_secret.refresh_from_db()
    assert (live_key.status, live_key.allowed_networks, live_key.rate_limit) == ("active", ["203.0.113.0/24"], None)
    assert (live_secret.status, live_secret.secret_version) == (KeyStatus.ACTIVE, 1)
    assert not RotationPolicy.objects.exists()


# --- the portal, for people ------------------------------------------------------------------------

PORTAL = [
    ("api_key", "keys/{id}/edit", {"name": "Renamed", "scope__orders": "write"}),
    ("api_key", "keys/{id}/roll", {"grace": "0"}),
    ("api_key", "keys/{id}/revoke", {"reason": "x"}),
    ("api_key", "keys/{id}/disable", {}),
    ("api_key", "keys/{id}/rotation", {"every": "30", "unit": "days", "grace": "86400"}),
    ("signing_secret", "signing-secrets/{id}/edit", {"name": "Renamed", "scope__orders": "write"}),
    ("signing_secret", "signing-secrets/{id}/rotate", {"grace": "0"}),
    ("signing_secret", "signing-secrets/{id}/revoke", {"reason": "x"}),
    ("client_certificate", "certificates/{id}/edit", {"name": "Renamed", "scope__orders": "write"}),
    ("client_certificate", "certificates/{id}/revoke", {"reason": "x"}),
]


@pytest.mark.parametrize(("person", "status"), [("vera", 403), ("charlie", 404)])
@pytest.mark.parametrize(("kind", "path", "body"), PORTAL, ids=[p[1] for p in PORTAL])
def test_viewers_and_outsiders_change_nothing_in_the_portal(
    client, request, org, alice, person, status, kind, path, body
) -> None:  # type: ignore[no-untyped-def]
    target = _target(kind, "", org, alice, "live")
    before = _snapshot(target)
    login(client, request.getfixturevalue(person))
    response = client.post(f"/orgs/{org.slug}/" + path.format(id=target.pk), body)
    assert response.status_code == status
    assert _snapshot(target) == before


@pytest.mark.parametrize(("kind", "path", "body"), PORTAL, ids=[p[1] for p in PORTAL])
def test_a_developer_without_sudo_changes_no_live_credential(client, bob, org, alice, kind, path, body) -> None:  # type: ignore[no-untyped-def]
    target = _target(kind, "", org, alice, "live")
    before = _snapshot(target)
    login(client, bob, sudo=False)
    client.post(f"/orgs/{org.slug}/" + path.format(id=target.pk), body)
    assert _snapshot(target) == before
    login(client, bob)  # with sudo, the same request goes through
    client.post(f"/orgs/{org.slug}/" + path.format(id=target.pk), body)
    assert _snapshot(target) != before


def test_staff_revoke_any_credential_in_the_admin_and_it_is_audited(client, org, alice, db) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    from accounts.models import User
    from audit.models import AuditEvent

    staff = User.objects.create_user(email="admin@example.com", password="x-very-long-pass", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_clientcertificate"))
    cert = _target("client_certificate", "", org, alice, "live")
    login(client, staff, sudo=False)
    response = client.post(
        "/admin/keys/clientcertificate/", {"action": "revoke_selected", "_selected_action": [cert.pk]}
    )
    assert response.status_code == 302
    assert ClientCertificate.objects.get(pk=cert.pk).status == KeyStatus.REVOKED
    event = AuditEvent.objects.get(action="client_certificate.revoked")
    assert event.actor_label == "admin@example.com"


def test_staff_follow_the_person_rule_outside_the_admin(api, alice, org) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Permission

    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(Permission.objects.get(codename="change_apikey"))
    key, _ = key_create(organization=org, actor=alice, name="live", scopes=["orders:read"])
    login(api, alice, sudo=False)
    refused = api.post(f"/api/v1/keys/{key.id}/revoke", {}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reauthentication_required"
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
