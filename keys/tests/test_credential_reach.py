"""A credential caller's reach: its own scopes, networks, expiry and rate limit bound what it may grant.

The rule is `keys.core.authorization` (docs/api.md#authorization); the matrix of actions, kinds and
callers is in test_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from keys.models import APIKey, KeyStatus, SigningSecret
from keys.services import key_create, signing_secret_create

pytestmark = pytest.mark.django_db


# --- a credential's reach: scopes, networks, expiry, rate limit ------------------------------------


@pytest.fixture
def reach(make_key):  # type: ignore[no-untyped-def]
    """A test manager that expires in 10 days and is bound to 10.0.0.0/8, and a target inside its reach."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    manager, plaintext = make_key(
        name="manager",
        scopes=["keys:manage", "orders:write"],
        environment="test",
        expires_at=now + timedelta(days=10),
        allowed_networks=["10.0.0.0/8"],
        rate_limit=500,
    )
    target, _ = make_key(
        name="target",
        scopes=["orders:read"],
        environment="test",
        expires_at=now + timedelta(days=5),
        allowed_networks=["10.1.0.0/16"],
        rate_limit=100,
    )
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client, manager, target, now


def _days(now: Any, n: int) -> str:
    from datetime import timedelta

    return (now + timedelta(days=n)).isoformat()


def test_a_key_only_narrows_networks(reach) -> None:  # type: ignore[no-untyped-def]
    client, _, target, _ = reach
    url = f"/api/v1/keys/{target.id}"
    assert client.patch(url, {"allowed_networks": []}, format="json").status_code == 403
    assert client.patch(url, {"allowed_networks": ["192.168.0.0/16"]}, format="json").status_code == 403
    assert client.patch(url, {"allowed_networks": ["10.0.0.0/8"]}, format="json").status_code == 403
    assert client.patch(url, {"allowed_networks": ["10.1.2.0/24"]}, format="json").status_code == 200
    assert APIKey.objects.get(pk=target.pk).allowed_networks == ["10.1.2.0/24"]


def test_a_key_never_lifts_an_expiry_beyond_its_own(reach) -> None:  # type: ignore[no-untyped-def]
    client, _, target, now = reach
    url = f"/api/v1/keys/{target.id}"
    assert client.patch(url, {"expires_at": None}, format="json").status_code == 403
    assert client.patch(url, {"expires_at": _days(now, 20)}, format="json").status_code == 403
    assert client.patch(url, {"expires_at": _days(now, 8)}, format="json").status_code == 200
    assert client.patch(url, {"expires_at": _days(now, 2)}, format="json").status_code == 200


def test_a_key_only_tightens_a_rate_limit(reach) -> None:  # type: ignore[no-untyped-def]
    client, _, target, _ = reach
    url = f"/api/v1/keys/{target.id}"
    assert client.patch(url, {"rate_limit": None}, format="json").status_code == 403
    assert client.patch(url, {"rate_limit": 1000}, format="json").status_code == 403
    assert client.patch(url, {"rate_limit": 50}, format="json").status_code == 200


def test_a_key_never_changes_its_own_limits(reach) -> None:  # type: ignore[no-untyped-def]
    client, manager, _, now = reach
    url = f"/api/v1/keys/{manager.id}"
    for change in ({"rate_limit": 1}, {"allowed_networks": ["10.1.0.0/16"]}, {"expires_at": _days(now, 1)}):
        assert client.patch(url, change, format="json").status_code == 403, change
    assert client.patch(url, {"name": "Still me"}, format="json").status_code == 200
    # Sending a limit unchanged is not a change.
    assert client.patch(url, {"rate_limit": 500}, format="json").status_code == 200


def test_a_key_never_widens_scopes(reach) -> None:  # type: ignore[no-untyped-def]
    client, _, target, _ = reach
    widened = client.patch(f"/api/v1/keys/{target.id}", {"scopes": ["orders:write"]}, format="json")
    assert widened.status_code == 400 and APIKey.objects.get(pk=target.pk).scopes == ["orders:read"]
    minted = client.post("/api/v1/keys/", {"name": "x", "scopes": ["keys:admin"], "environment": "test"}, format="json")
    assert minted.status_code == 400


def test_a_key_creates_only_within_its_own_limits(reach) -> None:  # type: ignore[no-untyped-def]
    client, _, _, now = reach
    base = {"name": "new", "scopes": ["orders:read"], "environment": "test", "allowed_networks": ["10.2.0.0/16"]}
    assert client.post("/api/v1/keys/", {**base, "expires_at": None}, format="json").status_code == 403
    assert client.post("/api/v1/keys/", {**base, "expires_at": _days(now, 30)}, format="json").status_code == 403
    anywhere = {**base, "allowed_networks": [], "expires_at": _days(now, 5)}
    assert client.post("/api/v1/keys/", anywhere, format="json").status_code == 403
    assert client.post("/api/v1/keys/", {**base, "expires_at": _days(now, 5)}, format="json").status_code == 201
    secret = client.post("/api/v1/signing-secrets/", {**base, "expires_at": None}, format="json")
    assert secret.status_code == 403 and not SigningSecret.objects.exists()


# --- every kind of credential caller follows the same rule (service level) -------------------------


def test_every_credential_caller_kind_is_held_to_its_environment_and_scopes(org, alice) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from keys.services import key_revoke, signing_secret_rotate
    from oauth.authentication import OAuthCredential

    live_key, _ = key_create(organization=org, actor=alice, name="live", scopes=["orders:read"])
    live_secret = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])[0]
    test_signer = signing_secret_create(
        organization=org, actor=alice, name="T", scopes=["keys:manage", "orders:write"], environment="test"
    )[0]
    token = OAuthCredential(
        token_id="t1",
        client_id="c1",
        scopes=("keys:manage",),
        expires_at=timezone.now() + timedelta(hours=1),
        organization_id=org.pk,
        user_id=None,
        organization=org,
    )
    with pytest.raises(PermissionDenied):
        signing_secret_rotate(secret=live_secret, actor=test_signer)  # a test signing secret, on a live secret
    with pytest.raises(PermissionDenied):
        key_revoke(key=live_key, actor=token)  # an OAuth token lacking the key's orders:read
    wide = OAuthCredential(
        token_id="t2",
        client_id="c1",
        scopes=("keys:manage", "orders:read"),
        expires_at=timezone.now() + timedelta(hours=1),
        organization_id=org.pk,
        user_id=None,
        organization=org,
    )
    assert key_revoke(key=live_key, actor=wide).status == KeyStatus.REVOKED  # OAuth tokens act on live data


def test_revealing_a_sealed_successor_follows_the_rule(org, alice, vera, charlie, rf) -> None:  # type: ignore[no-untyped-def]
    """The reveal is a portal action of people; the rule refuses it to everyone else, and asks for sudo even on test keys."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from keys.core.authorization import Action, SudoRequired, authorize

    live_key, _ = key_create(organization=org, actor=alice, name="live", scopes=["orders:read"])
    test_key, _ = key_create(organization=org, actor=alice, name="t", scopes=["orders:read"], environment="test")
    test_manager, _ = key_create(
        organization=org, actor=alice, name="m", scopes=["keys:manage", "orders:read"], environment="test"
    )
    with pytest.raises(PermissionDenied):
        authorize(test_manager, Action.REVEAL, live_key)
    with pytest.raises(PermissionDenied):
        authorize(vera, Action.REVEAL, test_key)
    with pytest.raises(Http404):
        authorize(charlie, Action.REVEAL, test_key)
    request = rf.post("/")
    request.session = SessionStore()
    with pytest.raises(SudoRequired):
        authorize(alice, Action.REVEAL, test_key, request=request)
    authorize(alice, Action.REVEAL, test_key)  # no web request (a script): sudo is a property of sessions
