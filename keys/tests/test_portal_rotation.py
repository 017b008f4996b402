"""The rotation panel and the one-time reveal of a sealed successor, in the portal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from conftest import PASSWORD, login
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.models import APIKey, RotationPolicy, SealedSecret
from keys.services import Code, key_check
from keys.tests.jobs_helpers import NOW

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _rolled(make_key, alice, traveller, **kwargs):  # type: ignore[no-untyped-def]
    key, plaintext = make_key(**kwargs)
    rotation_policy_set(key=key, actor=alice, interval=7 * DAY, grace=2 * DAY)
    traveller.shift(7 * DAY)
    rotation_run()
    return key, plaintext, APIKey.objects.get(predecessor=key)


@pytest.mark.parametrize(("who", "status"), [("alice", 302), ("bob", 302), ("vera", 403), ("charlie", 404)])
def test_who_may_set_a_rotation_policy(client, make_key, who, status, request) -> None:  # type: ignore[no-untyped-def]
    request.getfixturevalue("bob"), request.getfixturevalue("vera")
    key, _ = make_key(environment="test")
    login(client, request.getfixturevalue(who))
    org_slug = key.organization.slug
    response = client.post(
        f"/orgs/{org_slug}/keys/{key.id}/rotation", {"every": "30", "unit": "days", "grace": "86400"}
    )
    assert response.status_code == status
    assert RotationPolicy.objects.filter(key=key).exists() is (status == 302)


@pytest.mark.parametrize(
    "payload",
    [
        {"every": "abc", "unit": "days", "grace": "86400"},
        {"every": "0", "unit": "days", "grace": "86400"},
        {"every": "30", "unit": "fortnights", "grace": "86400"},
        {"every": "30", "unit": "days", "grace": "5"},
        {"every": "1", "unit": "days", "grace": "2592000"},  # grace longer than the interval
        {"every": "99999999999999999999", "unit": "days", "grace": "86400"},
        {},
    ],
)
def test_bad_policy_input_is_a_message_never_a_500(client, alice, make_key, payload) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    login(client, alice)
    response = client.post(f"/orgs/{key.organization.slug}/keys/{key.id}/rotation", payload, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not RotationPolicy.objects.exists()


def test_a_live_key_policy_needs_the_password(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="live")
    login(client, alice, sudo=False)
    url = f"/orgs/{key.organization.slug}/keys/{key.id}/rotation"
    client.post(url, {"every": "30", "unit": "days", "grace": "86400"})
    assert not RotationPolicy.objects.exists()
    client.post(url, {"every": "30", "unit": "days", "grace": "86400", "password": PASSWORD})
    assert RotationPolicy.objects.get().interval == 30 * DAY


def test_the_key_page_shows_the_policy_and_rotate_now_rolls_within_the_request(
    client,
    alice,
    make_key,
    eager_celery,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    key, _ = make_key(environment="test")
    login(client, alice)
    base = f"/orgs/{key.organization.slug}/keys/{key.id}"
    client.post(f"{base}/rotation", {"every": "90", "unit": "days", "grace": "604800"})
    page = client.get(f"{base}/")
    assert b"Scheduled rotation" in page.content and b"90 days" in page.content and b"7 days" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}/rotation/now", {})
    successor = APIKey.objects.get(predecessor=key)
    assert SealedSecret.objects.get(key=successor).is_available
    assert RotationPolicy.objects.get().key_id == successor.id


def test_the_owner_reveals_the_sealed_successor_once_after_reauthenticating(client, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _, successor = _rolled(make_key, alice, traveller, environment="test")
        base = f"/orgs/{key.organization.slug}/keys/{successor.id}"
        login(client, alice, sudo=False)
        page = client.get(f"{base}/")
        assert b"its secret is sealed" in page.content and b"Reveal secret once" in page.content

        refused = client.post(f"{base}/reveal", {}, follow=True)
        assert "Confirm your password" in str(next(iter(refused.context["messages"])))
        assert SealedSecret.objects.get(key=successor).is_available

        shown = client.post(f"{base}/reveal", {"password": PASSWORD}, follow=True)
        assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
        plaintext = shown.context["plaintext"]
        assert plaintext.encode() in shown.content and key_check(plaintext, ip=None).code is Code.VALID
        sealed = SealedSecret.objects.get(key=successor)
        assert sealed.ciphertext == "" and sealed.revealed_by == alice

        again = client.post(f"{base}/reveal", {"password": PASSWORD}, follow=True)
        assert "already revealed" in str(next(iter(again.context["messages"])))
        assert plaintext.encode() not in again.content
        assert plaintext.encode() not in client.get(f"{base}/").content


@pytest.mark.parametrize(("who", "status"), [("vera", 403), ("charlie", 404)])
def test_viewers_and_outsiders_cannot_reveal(client, alice, make_key, who, status, request) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _, successor = _rolled(make_key, alice, traveller, environment="test")
        login(client, request.getfixturevalue(who))
        response = client.post(
            f"/orgs/{key.organization.slug}/keys/{successor.id}/reveal", {"password": PASSWORD}, follow=True
        )
        assert response.status_code == status
        assert SealedSecret.objects.get(key=successor).is_available
