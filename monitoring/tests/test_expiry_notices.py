"""Expiry notices: one email and one `key.expiring` per threshold, `key.expired` at expiry, for every credential kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import Membership, OutboundEmail, Role
from accounts.outbox import email_send, emails_due
from accounts.services import user_signup
from conftest import PASSWORD
from keys.services import client_certificate_register, key_update, signing_secret_create
from keys.tests.jobs_helpers import NOW, events, send_queued_emails
from keys.tests.pki import make_cert
from monitoring.models import ExpiryNotice
from monitoring.services import expiry_notices_run

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def test_each_threshold_is_noticed_once_even_when_the_job_reruns(make_key, hook) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 40 * DAY)
        assert expiry_notices_run() == 0
        sent = []
        for before in (30 * DAY, 7 * DAY, 1 * DAY):
            traveller.move_to(key.expires_at - before + HOUR)
            sent.append(expiry_notices_run())
            sent.append(expiry_notices_run())  # a rerun, or a second beat
        traveller.move_to(key.expires_at + HOUR)
        sent += [expiry_notices_run(), expiry_notices_run()]
    assert sent == [1, 0, 1, 0, 1, 0, 1, 0]
    assert [e["data"]["days_left"] for e in events("key.expiring")] == [30, 7, 1]
    [expired] = events("key.expired")
    assert expired["data"]["key"]["id"] == key.id and expired["data"]["reason"] == "expired"
    emails = send_queued_emails()
    assert [e.subject for e in emails] == [
        '[Keyhouse] API key "Test key" expires in 30 days',
        '[Keyhouse] API key "Test key" expires in 7 days',
        '[Keyhouse] API key "Test key" expires in 1 day',
        '[Keyhouse] API key "Test key" expired',
    ]
    assert all(e.alternatives and e.alternatives[0][1] == "text/html" for e in emails)
    assert ExpiryNotice.objects.count() == 4


def test_a_late_run_sends_one_notice_for_the_windows_it_missed(make_key, hook) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 40 * DAY)
        traveller.move_to(key.expires_at - 2 * DAY)  # the job was down for the 30- and 7-day windows
        assert expiry_notices_run() == 1
        traveller.move_to(key.expires_at - 12 * HOUR)
        assert expiry_notices_run() == 1
    assert [(e["data"]["threshold_days"], e["data"]["days_left"]) for e in events("key.expiring")] == [(7, 2), (1, 1)]


def test_the_creator_and_the_owners_and_admins_are_told(org, alice, bob, vera, make_key) -> None:  # type: ignore[no-untyped-def]
    admin = user_signup(email="adam@example.com", password=PASSWORD)
    Membership.objects.create(organization=org, user=admin, role=Role.ADMIN)
    with time_machine.travel(NOW, tick=False) as traveller:
        key, plaintext = make_key(actor=bob, environment="test", expires_at=NOW + 10 * DAY)
        traveller.move_to(NOW + 8 * DAY)
        expiry_notices_run()
    [email] = send_queued_emails()
    assert email.to == ["adam@example.com", "alice@example.com", "bob@example.com"]  # not Vera, the viewer
    assert key.display_prefix in email.body and f"/orgs/{org.slug}/keys/{key.id}/" in email.body
    assert plaintext[16:] not in email.body and plaintext[16:] not in email.alternatives[0][0]


def test_signing_secrets_and_client_certificates_get_notices_too(org, alice, hook) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        secret, _ = signing_secret_create(
            organization=org, actor=alice, name="Signer", scopes=["orders:read"], expires_at=NOW + 10 * DAY
        )
        cert = client_certificate_register(
            organization=org,
            actor=alice,
            name="Billing mTLS",
            scopes=["orders:read"],
            certificate_pem=make_cert("billing", not_after=NOW + 20 * DAY).pem,
        )
        assert expiry_notices_run() == 0  # both were within 30 days when made: no "expires in 30 days"
        counts = []
        # secret within 7 days, within a day, expired; certificate within 7 days, expired
        for moment in (3.5, 9.5, 10.5, 13.5, 20.5):
            traveller.move_to(NOW + moment * DAY)
            counts.append(expiry_notices_run())
        assert counts == [1, 1, 1, 1, 1]
    # (The credentials' own lifecycle events, e.g. signing_secret.created, are published too.)
    kinds = sorted((e["data"]["kind"], e["type"]) for e in events() if e["type"].startswith("key."))
    assert ("signing_secret", "key.expired") in kinds and ("client_certificate", "key.expired") in kinds
    noticed = set(ExpiryNotice.objects.values_list("credential_kind", "credential_id"))
    assert noticed == {("signing_secret", secret.pk), ("client_certificate", cert.pk)}
    subjects = [e.subject for e in send_queued_emails()]
    assert any("Signing secret" in s for s in subjects) and any("Client certificate" in s for s in subjects)


def test_a_new_expiry_date_starts_the_notices_afresh(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 10 * DAY)
        traveller.move_to(NOW + 5 * DAY)
        assert expiry_notices_run() == 1
        key_update(key=key, actor=alice, expires_at=NOW + 60 * DAY)
        assert expiry_notices_run() == 0
        traveller.move_to(NOW + 55 * DAY)
        assert expiry_notices_run() == 1
    assert ExpiryNotice.objects.filter(threshold_days=7).count() == 2


def test_the_thresholds_are_configurable(make_key, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_EXPIRY_NOTICE_DAYS = [14, 3]
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 20 * DAY)
        traveller.move_to(NOW + 10 * DAY)
        assert expiry_notices_run() == 1
        traveller.move_to(NOW + 18 * DAY)
        assert expiry_notices_run() == 1
    assert sorted(ExpiryNotice.objects.values_list("threshold_days", flat=True)) == [3, 14]


def test_a_failed_send_is_retried_later_and_never_sent_twice(make_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        make_key(environment="test", expires_at=NOW + 10 * DAY)
        traveller.move_to(NOW + 8 * DAY)
        expiry_notices_run()
        notification = OutboundEmail.objects.get()

        def broken(self, fail_silently=False):  # type: ignore[no-untyped-def]
            raise ConnectionRefusedError("smtp down")

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        with pytest.raises(ConnectionRefusedError):
            email_send(email_id=notification.pk)
        monkeypatch.undo()
        notification.refresh_from_db()
        assert (notification.sent_at, notification.attempts, notification.last_error) == (None, 1, "smtp down")
        traveller.shift(5 * 60)
        assert emails_due() == [notification.pk]  # the sweep picks it up
        assert email_send(email_id=notification.pk) is True
        assert email_send(email_id=notification.pk) is False  # a duplicate task sends nothing
        assert emails_due() == []
    assert len(mail.outbox) == 1


def test_no_notice_for_a_threshold_crossed_at_creation(make_key, hook) -> None:  # type: ignore[no-untyped-def]
    """A key made with a 30-day expiry never hears "expires in 30 days"; its 7- and 1-day notices still come."""
    with time_machine.travel(NOW, tick=False) as traveller:
        key, _ = make_key(environment="test", expires_at=NOW + 30 * DAY)
        traveller.shift(5 * 60)  # the next beat tick, minutes later
        assert expiry_notices_run() == 0
        traveller.move_to(key.expires_at - 6 * DAY)
        assert expiry_notices_run() == 1
        traveller.move_to(key.expires_at - 12 * HOUR)
        assert expiry_notices_run() == 1
    assert [e["data"]["threshold_days"] for e in events("key.expiring")] == [7, 1]
