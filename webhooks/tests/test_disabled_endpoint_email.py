"""The endpoint-disabled email goes through the accounts outbox: stored with the disable, sent after
commit, and sent later by the sweep when the mail server was down."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import OutboundEmail
from accounts.tasks import sweep_emails
from webhooks import services
from webhooks.models import DisabledReason


def test_the_disabled_endpoint_email_is_queued_in_the_outbox_and_sent_once(  # type: ignore[no-untyped-def]
    make_endpoint, org, alice, bob, settings, django_capture_on_commit_callbacks
) -> None:
    endpoint, _ = make_endpoint()
    settings.EMAIL_BACKEND = "accounts.tests.backends.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_disable(endpoint=endpoint, actor=None, reason=DisabledReason.GONE)
    queued = OutboundEmail.objects.get()
    assert (queued.template, queued.organization, queued.recipients) == (
        "webhook_endpoint_disabled",
        org,
        ["alice@example.com"],  # owners and admins, not developers
    )
    assert (queued.sent_at, queued.attempts, queued.last_error) == (None, 1, "smtp down") and mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert sweep_emails() == 1
        assert sweep_emails() == 0
    [email] = mail.outbox
    assert endpoint.url in email.body and "410 Gone" in email.body
    assert email.subject.startswith("[Keyhouse] Webhook endpoint disabled")


def test_a_manual_disable_sends_no_email(make_endpoint, alice, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    endpoint, _ = make_endpoint()
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_disable(endpoint=endpoint, actor=alice)
    assert not OutboundEmail.objects.exists() and mail.outbox == []
