"""Shared pieces of the scheduled-job tests: the events sent, the emails queued. (Crafted usage series:
monitoring/tests/helpers.py.)
(Their fixtures: `hook` in keys/tests/conftest.py, `eager_celery` in the root conftest.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core import mail

from accounts.models import OutboundEmail
from accounts.outbox import email_send
from webhooks.models import Message

NOW = datetime(2030, 3, 4, 12, 20, tzinfo=UTC)


def events(event_type: str | None = None) -> list[dict[str, Any]]:
    """The envelopes published so far (oldest first), optionally of one type."""
    messages = Message.objects.order_by("created_at", "id")
    if event_type:
        messages = messages.filter(event_type=event_type)
    return [json.loads(m.payload) for m in messages]


def send_queued_emails() -> list[mail.EmailMessage]:
    """Do what the queued `send_email` tasks do, and return the outbox."""
    for pk in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk").values_list("pk", flat=True):
        email_send(email_id=pk)
    return list(mail.outbox)


def hour(dt: datetime) -> datetime:
    return dt.replace(minute=0, second=0, microsecond=0)
