"""The management API of rotation policies and alerts: people by role, keys by scope, outsiders 404, dead keys 401."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import key_client, login
from keys.models import APIKey, RotationPolicy
from keys.services import key_revoke
from keys.tests.jobs_helpers import NOW
from monitoring.models import Alert, AlertKind, AlertStatus

pytestmark = pytest.mark.django_db

POLICY = {"interval_seconds": 30 * 86400, "grace_seconds": 86400}


@pytest.fixture
def target(make_key):  # type: ignore[no-untyped-def]
    return make_key(environment="test", name="Target")[0]


@pytest.fixture
def alert(target, org):  # type: ignore[no-untyped-def]
    return Alert.objects.create(organization=org, key=target, kind=AlertKind.FAILURES, hour=NOW, observed=400)


@pytest.mark.parametrize(("who", "put", "get"), [("alice", 200, 200), ("bob", 200, 200), ("vera", 403, 404)])
def test_people_set_and_read_a_rotation_policy_by_role(api, target, org, who, put, get, request) -> None:  # type: ignore[no-untyped-def]
    request.getfixturevalue("bob"), request.getfixturevalue("vera")
    login(api, request.getfixturevalue(who))
    url = f"/api/v1/keys/{target.id}/rotation-policy?organization={org.slug}"
    response = api.put(url, POLICY, format="json")
    assert response.status_code == put
    assert api.get(url).status_code == get  # 404 when nobody could set one: there is no policy
    if put == 200:
        body = response.json()
        assert (body["key"], body["interval_seconds"], body["grace_seconds"]) == (target.id, 30 * 86400, 86400)
        assert api.delete(url).status_code == 204 and not RotationPolicy.objects.exists()


def test_an_outsider_gets_404_for_the_policy_and_the_alerts(api, charlie, target, alert) -> None:  # type: ignore[no-untyped-def]
    login(api, charlie)
    assert api.put(f"/api/v1/keys/{target.id}/rotation-policy", POLICY, format="json").status_code == 404
    assert api.get(f"/api/v1/keys/{target.id}/rotation-policy").status_code == 404
    assert api.post(f"/api/v1/alerts/{alert.pk}/resolve").status_code == 404
    assert api.get("/api/v1/alerts/").json()["count"] == 0  # Charlie's own team has none
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_keys_need_the_scope_and_dead_keys_get_401(make_key, target, alert, alice) -> None:  # type: ignore[no-untyped-def]
    _, reader = make_key(environment="test", scopes=["keys:read"])
    # The manager must hold the target's own scopes too (the scope ceiling of keys.core.authorization).
    _, manager = make_key(environment="test", scopes=["keys:manage", "orders:read"])
    _, narrow = make_key(environment="test", scopes=["keys:manage"])
    policy_url = f"/api/v1/keys/{target.id}/rotation-policy"
    denied = key_client(reader).put(policy_url, POLICY, format="json")
    assert denied.status_code == 403 and "keys:manage" in denied.json()["error"]["message"]
    assert key_client(reader).get("/api/v1/alerts/").json()["results"][0]["id"] == alert.pk
    assert key_client(reader).post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 403
    assert key_client(narrow).put(policy_url, POLICY, format="json").status_code == 403
    assert key_client(manager).put(policy_url, POLICY, format="json").status_code == 200
    acked = key_client(manager).post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert key_client(manager).post(f"/api/v1/alerts/{alert.pk}/resolve").json()["status"] == "resolved"

    revoked, revoked_plain = make_key(environment="test", scopes=["keys:manage"])
    key_revoke(key=revoked, actor=alice)
    expired, expired_plain = make_key(environment="test", scopes=["keys:manage"])
    APIKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    for plaintext in (revoked_plain, expired_plain):
        assert key_client(plaintext).get("/api/v1/alerts/").status_code == 401
        assert key_client(plaintext).put(policy_url, POLICY, format="json").status_code == 401


def test_a_live_key_policy_needs_sudo_for_people(api, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    live, _ = make_key(environment="live")
    login(api, alice, sudo=False)
    refused = api.put(f"/api/v1/keys/{live.id}/rotation-policy", POLICY, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reauthentication_required"
    login(api, alice)
    assert api.put(f"/api/v1/keys/{live.id}/rotation-policy", POLICY, format="json").status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"interval_seconds": "soon", "grace_seconds": 60},
        {"interval_seconds": 10, "grace_seconds": 60},
        {"interval_seconds": 86400, "grace_seconds": 86400},  # grace must be shorter than the interval
        {"interval_seconds": 10**30, "grace_seconds": 60},
        [1, 2, 3],
    ],
)
def test_bad_policy_input_is_a_400(api, alice, target, payload) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    response = api.put(f"/api/v1/keys/{target.id}/rotation-policy", payload, format="json")
    assert response.status_code == 400 and "error" in response.json()
    assert not RotationPolicy.objects.exists()


def test_alert_filters_and_bad_values(api, alice, alert) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    assert api.get("/api/v1/alerts/", {"kind": "failures"}).json()["count"] == 1
    assert api.get("/api/v1/alerts/", {"status": "resolved"}).json()["count"] == 0
    assert api.get("/api/v1/alerts/", {"status": "bogus"}).status_code == 400
    assert api.get("/api/v1/alerts/", {"kind": "<script>"}).status_code == 400
    assert api.post("/api/v1/alerts/99999999999999999999999/resolve").status_code == 404
