"""Email backends for the outbox tests: one that always fails, one that fails a set number of times."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class DownBackend(BaseEmailBackend):
    """An SMTP server that refuses every connection."""

    def send_messages(self, email_messages: Sequence[mail.EmailMessage]) -> int:
        raise ConnectionRefusedError("smtp down")


class FlakyBackend(LocmemBackend):
    """Refuses the first `failures` sends (set by the test), then delivers to `mail.outbox`."""

    failures: ClassVar[int] = 0

    def send_messages(self, messages: Sequence[mail.EmailMessage]) -> int:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("smtp busy")
        return super().send_messages(messages)
