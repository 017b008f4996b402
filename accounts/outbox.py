"""The one email outbox: every email the platform sends is queued here, in the caller's transaction, and
sent once after commit, with retries.

- `email_queue` stores the email with the change that caused it; if the transaction rolls back, no email.
- After commit `accounts.tasks.send_email` claims it with a conditional UPDATE (`claimed_until`), so two
  workers (or a task and the sweep) never both send it; it is stamped `sent_at` once sent.
- A failed send releases the claim and re-raises: the task retries with backoff, and the beat sweep
  (`emails_due`) picks up what the task lost (broker down at commit, retries exhausted, crashed worker)
  until `GIVE_UP_AFTER`; then it stays unsent in the admin, with its last error.
- The stored context holds names and ids, never a secret. An email whose link carries one (an invitation
  token, a password-reset token) registers a send-time context builder (`register_send_context`) that mints
  the link while sending, so the secret exists only in the message in flight.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q, QuerySet
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership, Organization, OutboundEmail, Role
from lib.jobs import enqueue_on_commit

SEND_TASK = "accounts.tasks.send_email"
# How long a worker may hold an email before another may send it (a crashed worker's claim expires).
CLAIM = timedelta(minutes=10)
# Unsent emails older than this are given up on (left in the admin with their last error).
GIVE_UP_AFTER = timedelta(days=2)
# The sweep leaves emails younger than this to their own task.
SWEEP_AFTER = timedelta(minutes=1)


class EmailCancelled(Exception):
    """Raised by a send-time context builder when the email no longer makes sense (the invitation was
    accepted, the user is gone): the email is marked cancelled, not retried."""


SendContext = Callable[[dict[str, Any]], dict[str, Any]]
_SEND_CONTEXT: dict[str, SendContext] = {}


def register_send_context(template: str, build: SendContext) -> None:
    """Let `build(stored_context)` add to the context of `template` emails when they are sent (and only
    then): the place to mint a link that carries a secret. Called from `AppConfig.ready()`."""
    _SEND_CONTEXT[template] = build


def recipients_for(organization: Organization, *, creator: Any = None) -> list[str]:
    """The creator (while still a member) and the organization's owners and admins, each once, by email."""
    roles = Q(role__in=(Role.OWNER, Role.ADMIN))
    if creator is not None and getattr(creator, "pk", None):
        roles |= Q(user_id=creator.pk)
    emails = (
        Membership.objects.filter(roles, organization=organization, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    return list(dict.fromkeys(emails))


def email_queue(
    *, organization: Organization | None, template: str, context: dict[str, Any], recipients: list[str]
) -> OutboundEmail | None:
    """Store an email in the caller's transaction and send it after commit (None when nobody is to be told).

    `context` must be JSON and hold no secret: it is stored, and rendered only when sent.
    """
    if not recipients:
        return None
    email = OutboundEmail.objects.create(
        organization=organization, template=template, context=context, recipients=list(recipients)
    )
    enqueue_on_commit(SEND_TASK, email.pk)
    return email


def _unsent(now: Any) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(email_id: int) -> OutboundEmail | None:
    now = timezone.now()
    claimed = _unsent(now).filter(pk=email_id).update(claimed_until=now + CLAIM)
    return OutboundEmail.objects.filter(pk=email_id).first() if claimed else None


def render(email: OutboundEmail, extra: dict[str, Any] | None = None) -> EmailMultiAlternatives:
    """The message: `<template>_subject.txt`, `<template>.txt` and, when it exists, `<template>.html`."""
    context = {
        **email.context,
        **(extra or {}),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    subject = " ".join(render_to_string(f"emails/{email.template}_subject.txt", context).split())
    text = render_to_string(f"emails/{email.template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=list(email.recipients))
    with contextlib.suppress(TemplateDoesNotExist):  # plain-text emails (invitations, resets) have no HTML part
        message.attach_alternative(render_to_string(f"emails/{email.template}.html", context), "text/html")
    return message


def email_send(*, email_id: int) -> bool:
    """Send one email unless it was sent, cancelled, or another worker holds it; True when this call sent it.

    On a failure the claim is released and the error re-raised, so the task's retry sends it later.
    """
    email = _claim(email_id)
    if email is None:
        return False
    attempts = email.attempts + 1
    try:
        build = _SEND_CONTEXT.get(email.template)
        message = render(email, build(dict(email.context)) if build else None)
        message.send()
    except EmailCancelled as cancelled:
        OutboundEmail.objects.filter(pk=email_id).update(
            cancelled_at=timezone.now(), claimed_until=None, last_error=str(cancelled)[:300]
        )
        return False
    except Exception as exc:
        OutboundEmail.objects.filter(pk=email_id).update(
            claimed_until=None, attempts=attempts, last_error=str(exc)[:300]
        )
        raise
    OutboundEmail.objects.filter(pk=email_id).update(
        sent_at=timezone.now(), claimed_until=None, attempts=attempts, last_error=""
    )
    return True


def emails_due(*, limit: int = 500) -> list[int]:
    """Ids of emails nobody sent: lost tasks, broker outages, exhausted retries younger than GIVE_UP_AFTER."""
    now = timezone.now()
    return list(
        _unsent(now)
        .filter(created_at__gte=now - GIVE_UP_AFTER, created_at__lt=now - SWEEP_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
