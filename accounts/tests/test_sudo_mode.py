from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from accounts.services import sudo_is_active
from conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def test_confirming_the_password_opens_a_short_window(client, alice, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    page = client.get("/account/confirm-password/?next=/orgs/")
    assert page.status_code == 200
    wrong = client.post("/account/confirm-password/", {"password": "nope", "next": "/orgs/"})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    ok = client.post("/account/confirm-password/", {"password": PASSWORD, "next": "/orgs/"})
    assert ok["Location"] == "/orgs/"
    request = type("R", (), {"session": client.session})()
    assert sudo_is_active(request)  # type: ignore[arg-type]
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.SUDO_MODE_SECONDS + 1)):
        assert not sudo_is_active(request)  # type: ignore[arg-type]


def test_confirm_page_never_redirects_off_site(client, alice) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    response = client.post("/account/confirm-password/", {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"
