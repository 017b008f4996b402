"""The email outbox of the key jobs: who is told, queueing a notification on commit, and sending it once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from keys.models import Notification

logger = logging.getLogger(__name__)

# How long a worker may hold a notification before another may send it (a crashed worker's claim expires).
CLAIM = timedelta(minutes=10)
# Unsent notifications older than this are given up on (logged, left in the admin).
GIVE_UP_AFTER = timedelta(days=2)


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


def notification_queue(
    *, organization: Organization | None, template: str, context: dict[str, Any], recipients: list[str]
) -> Notification | None:
    """Store an email in the caller's transaction and send it after commit (None when nobody is to be told).

    `context` must be JSON and hold no secret: it is stored, and rendered only when sent.
    """
    if not recipients:
        return None
    notification = Notification.objects.create(
        organization=organization, template=template, context=context, recipients=recipients
    )

    def send_after_commit() -> None:
        from keys.tasks import send_notification

        send_notification.delay(notification.pk)

    # robust: a broker outage at commit time leaves the row for the sweep instead of failing the change.
    transaction.on_commit(send_after_commit, robust=True)
    return notification


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM)
    )
    return Notification.objects.filter(pk=notification_id).first() if claimed else None


def render(notification: Notification) -> EmailMultiAlternatives:
    """The message: `<template>_subject.txt`, `<template>.txt` and `<template>.html` under templates/emails/."""
    context = {**notification.context, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"emails/{notification.template}_subject.txt", context).split())
    text = render_to_string(f"emails/{notification.template}.txt", context)
    html = render_to_string(f"emails/{notification.template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=list(notification.recipients))
    message.attach_alternative(html, "text/html")
    return message


def notification_send(*, notification_id: int) -> bool:
    """Send one notification unless it was sent or another worker holds it; True when this call sent it.

    On a failure the claim is released and the error re-raised, so the task's retry sends it later.
    """
    notification = _claim(notification_id)
    if notification is None:
        return False
    try:
        render(notification).send()
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            claimed_until=None, attempts=notification.attempts + 1, last_error=str(exc)[:300]
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        sent_at=timezone.now(), claimed_until=None, attempts=notification.attempts + 1, last_error=""
    )
    return True


def notifications_due(*, limit: int = 500) -> list[int]:
    """Ids of notifications nobody sent: lost tasks, broker outages, exhausted retries younger than GIVE_UP_AFTER."""
    now = timezone.now()
    return list(
        Notification.objects.filter(sent_at__isnull=True, created_at__gte=now - GIVE_UP_AFTER)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(created_at__lt=now - timedelta(minutes=1))  # leave fresh ones to their own task
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
