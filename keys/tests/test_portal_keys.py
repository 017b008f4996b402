from __future__ import annotations

import pytest

from audit.models import AuditEvent
from conftest import PASSWORD, login
from keys.models import APIKey, KeyStatus
from keys.services import Code, key_check

pytestmark = pytest.mark.django_db

CREATE = {
    "name": "Billing worker",
    "environment": "test",
    "expiry": "30d",
    "scope__orders": "write",
    "scope__customers": "read",
    "allowed_networks": "192.0.2.0/24\n2001:db8::/32",
    "rate_limit": "120",
}


def test_developer_creates_a_key_and_sees_it_once(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.get(f"/orgs/{org.slug}/keys/new").status_code == 200
    response = client.post(f"/orgs/{org.slug}/keys/new", CREATE, follow=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = APIKey.objects.get(name="Billing worker")
    plaintext = response.context["plaintext"]
    assert plaintext.startswith(f"ak_test_{key.id}") and plaintext.encode() in response.content
    assert key.scopes == ["orders:write", "customers:read"]
    assert key.allowed_networks == ["192.0.2.0/24", "2001:db8::/32"] and key.rate_limit == 120
    assert key.expires_at is not None
    assert key_check(plaintext, ip="192.0.2.1").code is Code.VALID
    # The detail page never shows it again.
    detail = client.get(f"/orgs/{org.slug}/keys/{key.id}/")
    assert detail.status_code == 200 and plaintext.encode() not in detail.content


def test_live_key_creation_asks_for_the_password(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    payload = {**CREATE, "environment": "live"}
    refused = client.post(f"/orgs/{org.slug}/keys/new", payload)
    assert refused.status_code == 200 and b"Confirm your password" in refused.content
    assert not APIKey.objects.exists()
    wrong = client.post(f"/orgs/{org.slug}/keys/new", {**payload, "password": "nope"})
    assert not APIKey.objects.exists() and wrong.status_code == 200
    ok = client.post(f"/orgs/{org.slug}/keys/new", {**payload, "password": PASSWORD}, follow=True)
    assert ok.status_code == 200 and APIKey.objects.filter(environment="live").count() == 1


def test_create_form_rejects_bad_input_with_messages(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    cases = [
        ({"allowed_networks": "10.0.0.0/99"}, b"is not an IPv4 or IPv6 CIDR block"),
        ({"name": "x" * 101}, b"at most 100 characters"),
        ({"expiry": "custom", "expires_on": "2001-01-01T00:00"}, b"must be in the future"),
        ({"scope__orders": "", "scope__customers": ""}, b"Choose at least one permission"),
        ({"scope__orders": "admin"}, b"Select a valid choice"),
        ({"rate_limit": "-5"}, b"greater than or equal to 1"),
    ]
    for overrides, message in cases:
        response = client.post(f"/orgs/{org.slug}/keys/new", {**CREATE, **overrides})
        assert response.status_code == 200, overrides
        assert message in response.content, overrides
    assert not APIKey.objects.exists()


def test_viewer_sees_keys_but_cannot_change_them(client, vera, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, vera)
    assert client.get(f"/orgs/{org.slug}/keys/").status_code == 200
    assert client.get(f"/orgs/{org.slug}/keys/{key.id}/").status_code == 200
    assert client.get(f"/orgs/{org.slug}/keys/new").status_code == 403
    for action in ("edit", "roll", "revoke", "disable", "enable"):
        assert client.post(f"/orgs/{org.slug}/keys/{key.id}/{action}", {}).status_code == 403, action
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE


@pytest.mark.parametrize("action", ["", "edit", "roll", "revoke", "disable", "enable"])
def test_outsider_gets_404_on_every_key_page(client, charlie, org, make_key, action) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, charlie)
    path = f"/orgs/{org.slug}/keys/{key.id}/{action}"
    assert client.get(path).status_code in (404, 405) and client.post(path, {}).status_code == 404


def test_a_key_of_another_team_is_404_even_inside_your_own_team(client, charlie, charlie_org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, charlie)
    assert client.get(f"/orgs/{charlie_org.slug}/keys/{key.id}/").status_code == 404
    assert client.post(f"/orgs/{charlie_org.slug}/keys/{key.id}/revoke", {}).status_code == 404


def test_roll_reveals_the_successor_once(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, old_plain = make_key()
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/keys/{key.id}/roll", {"grace": "3600"}, follow=True)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    successor = APIKey.objects.get(predecessor=key)
    assert response.context["plaintext"].startswith(f"ak_live_{successor.id}")
    assert key_check(old_plain, ip=None).code is Code.VALID  # still in grace


def test_revoke_and_disable_from_the_portal(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    login(client, alice)
    client.post(f"/orgs/{org.slug}/keys/{key.id}/disable", {})
    assert key_check(plaintext, ip=None).code is Code.DISABLED
    client.post(f"/orgs/{org.slug}/keys/{key.id}/enable", {})
    client.post(f"/orgs/{org.slug}/keys/{key.id}/revoke", {"reason": "rotated out"})
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_reason == "rotated out"
    actions = list(AuditEvent.objects.filter(target_id=key.id).order_by("id").values_list("action", flat=True))
    assert actions == ["key.created", "key.disabled", "key.enabled", "key.revoked"]


def test_live_revoke_needs_the_password(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(client, alice, sudo=False)
    client.post(f"/orgs/{org.slug}/keys/{key.id}/revoke", {"reason": "x"})
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE
    client.post(f"/orgs/{org.slug}/keys/{key.id}/revoke", {"reason": "x", "password": PASSWORD})
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.REVOKED


def test_edit_narrows_scopes(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(scopes=["orders:write"])
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/keys/{key.id}/edit")
    assert page.status_code == 200
    client.post(
        f"/orgs/{org.slug}/keys/{key.id}/edit",
        {"name": "Renamed", "scope__orders": "read", "allowed_networks": "", "rate_limit": ""},
    )
    key.refresh_from_db()
    assert (key.name, key.scopes) == ("Renamed", ["orders:read"])
    widen = client.post(f"/orgs/{org.slug}/keys/{key.id}/edit", {"name": "Renamed", "scope__orders": "write"})
    assert b"only be narrowed" in widen.content


def test_list_search_filters_and_pagination(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        make_key(name=f"svc-{i:02d}", environment="test" if i % 2 else "live")
    login(client, alice)
    first = client.get(f"/orgs/{org.slug}/keys/")
    assert first.context["page"].paginator.count == 30 and len(first.context["page"]) == 25
    assert client.get(f"/orgs/{org.slug}/keys/?q=svc-07").context["page"].paginator.count == 1
    assert client.get(f"/orgs/{org.slug}/keys/?environment=test").context["page"].paginator.count == 15
    assert client.get(f"/orgs/{org.slug}/keys/?page=2").status_code == 200
    assert client.get(f"/orgs/{org.slug}/keys/?page=999&status=nonsense").status_code == 200


def test_every_team_page_renders_for_members(client, alice, bob, vera, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    pages = [
        "/",
        "/orgs/",
        f"/orgs/{org.slug}/",
        f"/orgs/{org.slug}/keys/",
        f"/orgs/{org.slug}/keys/{key.id}/",
        f"/orgs/{org.slug}/members/",
        f"/orgs/{org.slug}/settings/",
        f"/orgs/{org.slug}/audit/",
    ]
    for user in (alice, bob, vera):
        login(client, user)
        for page in pages:
            assert client.get(page, follow=True).status_code == 200, (user, page)


def test_anonymous_visitors_are_sent_to_login(client, org) -> None:  # type: ignore[no-untyped-def]
    for page in (f"/orgs/{org.slug}/", f"/orgs/{org.slug}/keys/", f"/orgs/{org.slug}/keys/new"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_saving_the_edit_form_unchanged_keeps_the_expiry(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    key, _ = make_key(expires_at=timezone.now() + timedelta(days=3, seconds=17))
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/keys/{key.id}/edit")
    shown = page.context["form"]["expires_on"].value()
    client.post(
        f"/orgs/{org.slug}/keys/{key.id}/edit",
        {"name": key.name, "scope__orders": "read", "expires_on": shown.strftime("%Y-%m-%dT%H:%M")},
    )
    before = key.expires_at
    key.refresh_from_db()
    assert key.expires_at == before
    assert not AuditEvent.objects.filter(target_id=key.id, action="key.updated").exists()
