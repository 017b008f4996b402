from __future__ import annotations

import importlib
import re

import pytest
from django.core import mail

from accounts.models import Membership, Role, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_signup_creates_user_with_argon2_password_and_personal_team(
    client, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = importlib.import_module("config.settings").PASSWORD_HASHERS
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signup/", {"name": "Dana", "email": "Dana@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/"
    user = User.objects.get(email="dana@example.com")
    assert user.password.startswith("argon2")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER and membership.organization.is_personal
    assert [m.to for m in mail.outbox] == [["dana@example.com"]] and "account is ready" in mail.outbox[0].subject
    assert client.post("/login/", {"username": "dana@example.com", "password": PASSWORD}).status_code == 302
    assert client.get("/")["Location"] == f"/orgs/{membership.organization.slug}/"


def test_signup_rejects_a_weak_password(client) -> None:  # type: ignore[no-untyped-def]
    weak = client.post("/signup/", {"email": "new@example.com", "password": "123"})
    assert weak.status_code == 200 and b"too short" in weak.content
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_answers_the_same_for_an_existing_email_and_notifies_its_owner(
    client, alice, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    password_before = alice.password
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post("/signup/", {"email": "new@example.com", "password": PASSWORD}, follow=True)
        taken = client.post("/signup/", {"email": "ALICE@example.com", "password": PASSWORD}, follow=True)
    assert new.redirect_chain == taken.redirect_chain == [("/login/", 302)]

    def page(response) -> bytes:  # type: ignore[no-untyped-def]
        return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)

    assert page(new) == page(taken)
    assert b"already exists" not in taken.content
    alice.refresh_from_db()
    assert alice.password == password_before and User.objects.filter(email__iexact="alice@example.com").count() == 1
    notice = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(notice) == 1 and "tried to sign up" in notice[0].subject and "password-reset" in notice[0].body
    # A second try within the hour answers the same but sends no second notice (no inbox flooding).
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/signup/", {"email": "alice@example.com", "password": PASSWORD})
    assert again.status_code == 302 and len([m for m in mail.outbox if m.to == ["alice@example.com"]]) == 1


def test_login_by_email_and_logout(client, alice) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/login/", {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    client.post("/logout/")
    assert client.get("/")["Location"] == "/login/"


def test_repeated_failed_logins_lock_the_account_out_from_that_address_only(client, alice) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        client.post("/login/", {"username": "alice@example.com", "password": "wrong"}, REMOTE_ADDR="192.0.2.1")
    # The attacker's address is locked, even with the right password...
    locked = client.post("/login/", {"username": "alice@example.com", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...but Alice, from her own address, still logs in (issue 10: lockout was a DoS on any known account).
    mine = client.post("/login/", {"username": "alice@example.com", "password": PASSWORD}, REMOTE_ADDR="192.0.2.99")
    assert mine.status_code == 302 and "_auth_user_id" in client.session


def test_repeated_failures_from_one_ip_lock_that_ip_out(client, alice, charlie) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        client.post("/login/", {"username": f"nobody{i}@example.com", "password": "x"}, REMOTE_ADDR="192.0.2.50")
    blocked = client.post(
        "/login/", {"username": "charlie@example.com", "password": PASSWORD}, REMOTE_ADDR="192.0.2.50"
    )
    assert blocked.status_code == 429


def test_password_reset_by_email(client, alice, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        response = client.post("/password-reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http\S+/password-reset/\S+/\S+/", mail.outbox[0].body)
    assert link is not None
    path = "/" + link.group(0).split("/", 3)[3]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new = "a-brand-new-passphrase-42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_password_reset_is_rate_limited(client, alice, settings, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_RESET_RATE_PER_HOUR = 2
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/password-reset/", {"email": "alice@example.com"}).status_code == 302
    limited = client.post("/password-reset/", {"email": "alice@example.com"})
    assert limited.status_code == 200 and b"Too many reset requests" in limited.content
    assert len(mail.outbox) == 2


def test_password_reset_does_not_reveal_whether_an_account_exists(client, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_a_forged_x_forwarded_for_does_not_dodge_the_ip_lockout(client, alice) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        client.post(
            "/login/",
            {"username": f"nobody{i}@example.com", "password": "x"},
            REMOTE_ADDR="192.0.2.60",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    blocked = client.post(
        "/login/",
        {"username": "alice@example.com", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.60",
        HTTP_X_FORWARDED_FOR="203.0.113.1",
    )
    assert blocked.status_code == 429
