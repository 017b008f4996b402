"""The alerts page, the banner and acknowledge/resolve, for owners, members, viewers and outsiders."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from conftest import login
from keys.tests.jobs_helpers import NOW
from monitoring.models import Alert, AlertKind, AlertStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(make_key, org):  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test", name="Billing worker")
    return Alert.objects.create(
        organization=org, key=key, kind=AlertKind.SPIKE, hour=NOW, observed=2000, baseline=101.5, threshold=507.5
    )


@pytest.mark.parametrize(("who", "status"), [("alice", 200), ("bob", 200), ("vera", 200), ("charlie", 404)])
def test_who_sees_the_alerts_page(client, alert, who, status, request) -> None:  # type: ignore[no-untyped-def]
    request.getfixturevalue("bob"), request.getfixturevalue("vera")
    login(client, request.getfixturevalue(who))
    response = client.get(f"/orgs/{alert.organization.slug}/alerts/")
    assert response.status_code == status
    if status == 200:
        assert b"Traffic spike" in response.content and b"Billing worker" in response.content
        assert (f"/alerts/{alert.pk}/acknowledge".encode() in response.content) is (who != "vera")


@pytest.mark.parametrize(("who", "status"), [("bob", 302), ("vera", 403), ("charlie", 404)])
def test_who_may_acknowledge_and_resolve(client, alert, who, status, request) -> None:  # type: ignore[no-untyped-def]
    request.getfixturevalue("bob"), request.getfixturevalue("vera")
    login(client, request.getfixturevalue(who))
    base = f"/orgs/{alert.organization.slug}/alerts/{alert.pk}"
    assert client.post(f"{base}/acknowledge").status_code == status
    assert client.post(f"{base}/resolve").status_code == status
    alert.refresh_from_db()
    assert alert.status == (AlertStatus.RESOLVED if status == 302 else AlertStatus.OPEN)


def test_acknowledge_then_resolve_is_audited_once_each(client, alert, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    base = f"/orgs/{alert.organization.slug}/alerts/{alert.pk}"
    for _ in range(2):
        client.post(f"{base}/acknowledge")
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, alice)
    for _ in range(2):
        client.post(f"{base}/resolve")
    refused = client.post(f"{base}/acknowledge", follow=True)
    assert "already resolved" in str(list(refused.context["messages"])[-1])
    actions = list(AuditEvent.objects.filter(action__startswith="alert.").values_list("action", flat=True))
    assert sorted(actions) == ["alert.acknowledged", "alert.resolved"]


@pytest.mark.parametrize("alert_id", ["0", "abc", "99999999999999999999999", "-1"])
def test_an_unknown_alert_id_is_a_404(client, alice, org, alert_id) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    assert client.post(f"/orgs/{org.slug}/alerts/{alert_id}/resolve").status_code == 404


def test_another_teams_alert_is_a_404(client, alert, charlie, charlie_org) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    assert client.post(f"/orgs/{charlie_org.slug}/alerts/{alert.pk}/resolve").status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_the_banner_shows_open_alerts_to_members_only(client, alert, alice, charlie) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    dashboard = client.get(f"/orgs/{alert.organization.slug}/")
    assert b"1 open usage alert" in dashboard.content
    assert b"1 open usage alert" not in client.get(f"/orgs/{alert.organization.slug}/alerts/").content
    client.post(f"/orgs/{alert.organization.slug}/alerts/{alert.pk}/acknowledge")
    assert b"open usage alert" not in client.get(f"/orgs/{alert.organization.slug}/").content
    login(client, charlie)
    assert b"open usage alert" not in client.get("/orgs/").content


def test_filters_and_bad_filter_values(client, alert, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    base = f"/orgs/{alert.organization.slug}/alerts/"
    assert b"Billing worker" not in client.get(base, {"status": "resolved"}).content
    assert b"Billing worker" in client.get(base, {"status": "all", "kind": "spike"}).content
    assert b"Billing worker" not in client.get(base, {"kind": "new_network"}).content
    weird = client.get(base, {"status": "<script>", "kind": "'; drop", "page": "x"})
    assert weird.status_code == 200 and b"<script>" not in weird.content
