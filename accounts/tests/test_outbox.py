"""Every email goes through the one outbox (accounts/outbox.py): stored with the change, sent once after
commit, retried when sending fails, and never holding a secret at rest."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from accounts import outbox
from accounts.models import Invitation, OutboundEmail
from accounts.tasks import send_email, sweep_emails
from accounts.tests.backends import FlakyBackend
from conftest import login

DOWN = "accounts.tests.backends.DownBackend"
FLAKY = "accounts.tests.backends.FlakyBackend"


def _invite(client, org, capture, email: str = "erin@example.com") -> None:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        client.post(f"/orgs/{org.slug}/members/", {"email": email, "role": "viewer"})


@pytest.fixture
def refused_invitation(client, alice, org, settings, django_capture_on_commit_callbacks) -> OutboundEmail:  # type: ignore[no-untyped-def]
    """Alice invites Erin while the mail server refuses every email: the invitation email, queued and
    tried once after commit."""
    settings.EMAIL_BACKEND = DOWN
    login(client, alice)
    _invite(client, org, django_capture_on_commit_callbacks)
    return OutboundEmail.objects.get()


def test_an_invitation_is_sent_through_the_outbox_and_its_token_is_never_stored(  # type: ignore[no-untyped-def]
    client, alice, org, django_capture_on_commit_callbacks
) -> None:
    login(client, alice)
    _invite(client, org, django_capture_on_commit_callbacks)
    queued = OutboundEmail.objects.get()
    assert (queued.template, queued.recipients, queued.organization) == ("invitation", ["erin@example.com"], org)
    assert queued.sent_at is not None and queued.attempts == 1
    [message] = mail.outbox
    assert message.subject == f"You're invited to {org.name} on Keyhouse"
    token = re.search(r"/invitations/([^/\s]+)/", message.body).group(1)  # type: ignore[union-attr]
    assert token not in json.dumps(queued.context)
    assert token not in str(list(OutboundEmail.objects.values())) + str(list(Invitation.objects.values()))
    assert client.get(f"/invitations/{token}/").status_code == 200  # the minted link works


def test_a_password_reset_is_sent_through_the_outbox_without_storing_its_token(  # type: ignore[no-untyped-def]
    client, alice, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/password-reset/", {"email": "alice@example.com"})
    queued = OutboundEmail.objects.get()
    assert queued.template == "password_reset" and set(queued.context) == {"user_id", "domain", "protocol"}
    [message] = mail.outbox
    assert message.to == ["alice@example.com"] and queued.sent_at is not None
    token = re.search(r"/password-reset/\S+/(\S+)/", message.body).group(1)  # type: ignore[union-attr]
    assert token not in json.dumps(queued.context)


def test_a_failed_send_is_retried_and_sent_once(  # type: ignore[no-untyped-def]
    client, alice, org, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = FLAKY
    FlakyBackend.failures = 1
    login(client, alice)
    _invite(client, org, django_capture_on_commit_callbacks)  # the first attempt fails; the task asks to retry
    queued = OutboundEmail.objects.get()
    assert (queued.sent_at, queued.attempts, queued.last_error) == (None, 1, "smtp busy")
    assert mail.outbox == []
    assert send_email.apply(args=[queued.pk]).get() is True  # the retry, as a worker runs it later
    queued.refresh_from_db()
    assert (queued.attempts, queued.last_error) == (2, "") and queued.sent_at is not None
    assert len(mail.outbox) == 1
    assert outbox.email_send(email_id=queued.pk) is False  # a duplicate task sends nothing
    assert len(mail.outbox) == 1


def test_an_email_the_server_kept_refusing_is_sent_by_the_sweep_and_never_twice(refused_invitation, settings) -> None:  # type: ignore[no-untyped-def]
    queued = refused_invitation
    for _ in range(2):  # the task's retries fail too, until they run out
        with pytest.raises(Retry):
            send_email.apply(args=[queued.pk], throw=True)
    queued.refresh_from_db()
    assert (queued.sent_at, queued.last_error, queued.attempts) == (None, "smtp down", 3)
    assert mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert sweep_emails() == 1  # the beat sweep sends it (inline here)
        assert sweep_emails() == 0  # and a second beat finds nothing
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.attempts == 4
    assert "/invitations/" in mail.outbox[0].body


def test_the_sweep_gives_up_after_two_days(alice, org, settings) -> None:  # type: ignore[no-untyped-def]
    queued = outbox.email_queue(organization=org, template="key_rotated", context={}, recipients=["a@example.com"])
    assert queued is not None
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outbox.emails_due() == [queued.pk]
    with time_machine.travel(timezone.now() + outbox.GIVE_UP_AFTER + timedelta(minutes=1)):
        assert outbox.emails_due() == []


def test_a_claimed_email_is_not_sent_by_another_worker(alice, org) -> None:  # type: ignore[no-untyped-def]
    queued = outbox.email_queue(organization=org, template="key_rotated", context={}, recipients=["a@example.com"])
    assert queued is not None
    OutboundEmail.objects.filter(pk=queued.pk).update(claimed_until=timezone.now() + outbox.CLAIM)
    assert outbox.email_send(email_id=queued.pk) is False
    with time_machine.travel(timezone.now() + outbox.CLAIM + timedelta(seconds=1)):
        assert outbox.emails_due() == [queued.pk]  # a crashed worker's claim expires


def test_an_invitation_accepted_before_its_email_went_out_is_cancelled(refused_invitation) -> None:  # type: ignore[no-untyped-def]
    Invitation.objects.update(accepted_at=timezone.now())
    queued = refused_invitation
    assert outbox.email_send(email_id=queued.pk) is False
    queued.refresh_from_db()
    assert queued.cancelled_at is not None and queued.sent_at is None and "accepted" in queued.last_error
    assert outbox.emails_due() == [] and mail.outbox == []


def test_nothing_is_queued_when_the_change_rolls_back(alice, org) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.email_queue(organization=org, template="key_rotated", context={}, recipients=["a@example.com"])
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()
