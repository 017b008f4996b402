"""Reveal-once pages by post/redirect/get: the POST redirects to a one-time page; a second view (reload,
Back, a shared URL) shows no secret and creates nothing; the session holds the secret only encrypted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.reveal import TTL
from conftest import login
from keys.models import APIKey

pytestmark = pytest.mark.django_db

CREATE = {"name": "Billing worker", "environment": "test", "expiry": "30d", "scope__orders": "read"}


def test_creating_a_key_redirects_to_a_page_that_shows_the_secret_exactly_once(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    posted = client.post(f"/orgs/{org.slug}/keys/new", CREATE)
    assert posted.status_code == 302 and posted["Location"].startswith(f"/orgs/{org.slug}/revealed/")
    assert b"ak_test_" not in posted.content

    shown = client.get(posted["Location"])
    plaintext = shown.context["plaintext"]
    assert shown.status_code == 200 and plaintext.encode() in shown.content
    assert "no-store" in shown["Cache-Control"]

    key = APIKey.objects.get()
    again = client.get(posted["Location"], follow=True)
    assert again.redirect_chain == [(f"/orgs/{org.slug}/keys/{key.id}/", 302)]
    assert plaintext.encode() not in again.content and b"That secret was shown once" in again.content
    assert APIKey.objects.count() == 1


def test_the_session_keeps_the_waiting_secret_encrypted(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    location = client.post(f"/orgs/{org.slug}/keys/new", CREATE)["Location"]
    key = APIKey.objects.get()
    stored = " ".join(Session.objects.values_list("session_data", flat=True))
    assert "reveals" in str(client.session.keys())
    # The secret's random part (after the key id) is in no session row, in any encoding.
    secret_part = client.get(location).context["plaintext"].split(key.id, 1)[1]
    assert secret_part not in stored
    assert secret_part not in str(dict(client.session))


def test_an_unseen_reveal_expires(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    location = client.post(f"/orgs/{org.slug}/keys/new", CREATE)["Location"]
    with time_machine.travel(timezone.now() + timedelta(seconds=TTL + 60)):
        login(client, bob)  # the sudo window has passed too; the page only needs the sign-in
        late = client.get(location)
    assert late.status_code == 302 and "plaintext" not in (late.context or {})


def test_another_team_cannot_open_the_reveal(client, bob, org, charlie) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    token = client.post(f"/orgs/{org.slug}/keys/new", CREATE)["Location"].rsplit("/", 1)[1]
    login(client, charlie)
    assert client.get(f"/orgs/{org.slug}/revealed/{token}").status_code == 404
    other = charlie.memberships.get().organization
    assert client.get(f"/orgs/{other.slug}/revealed/{token}").status_code == 302
