"""Signed-in sessions are listed on the security page and "sign out everywhere" ends all the others."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import UserSession
from audit.models import AuditEvent
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _browser(user, agent: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_each_login_is_listed_with_its_browser(alice) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = _browser(alice, "Laptop/1.0"), _browser(alice, "Phone/2.0")
    page = laptop.get("/account/security/")
    assert b"Laptop/1.0" in page.content and b"Phone/2.0" in page.content
    assert UserSession.objects.filter(user=alice).count() == 2
    phone.post("/logout/")
    assert b"Phone/2.0" not in laptop.get("/account/security/").content


def test_sign_out_everywhere_ends_the_other_sessions_only(alice, bob) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = _browser(alice, "Laptop/1.0"), _browser(alice, "Phone/2.0")
    bobs = _browser(bob, "Bob/1.0")
    response = laptop.post("/account/security/sign-out-everywhere")
    assert response.status_code == 302
    assert phone.get("/orgs/")["Location"].startswith("/login/")
    assert laptop.get("/orgs/").status_code == 200
    assert bobs.get("/orgs/").status_code == 200
    assert AuditEvent.objects.filter(action="user.signed_out_everywhere", actor_id=alice.pk).get().metadata == {
        "sessions": 1
    }


def test_sign_out_everywhere_needs_a_login_and_a_post(client, alice) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/account/security/sign-out-everywhere")["Location"].startswith("/login/")
    laptop = _browser(alice, "Laptop/1.0")
    assert laptop.get("/account/security/sign-out-everywhere").status_code == 405
