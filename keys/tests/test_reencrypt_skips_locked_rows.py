"""`manage.py reencrypt` never waits on a row another transaction holds: it moves the rest and says to rerun."""

from __future__ import annotations

import base64
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from keys.models import SigningSecret
from keys.services import signing_secret_create
from lib import crypto
from lib.tests.concurrency import held_open

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_locked_row_is_skipped_and_a_rerun_moves_it(settings, org, alice) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (runs in CI)")
    held, _ = signing_secret_create(organization=org, actor=alice, name="held", scopes=["orders:read"])
    free, _ = signing_secret_create(organization=org, actor=alice, name="free", scopes=["orders:read"])
    settings.ENCRYPTION_KEYS = f"new1:{base64.urlsafe_b64encode(os.urandom(32)).decode()},{settings.ENCRYPTION_KEYS}"
    with held_open(lambda: SigningSecret.objects.select_for_update().get(pk=held.pk)):
        with pytest.raises(CommandError, match="run the command again"):
            call_command("reencrypt", stdout=StringIO())
        assert crypto.key_id_of(SigningSecret.objects.get(pk=free.pk).secret_encrypted) == "new1"
        assert crypto.needs_reencryption(SigningSecret.objects.get(pk=held.pk).secret_encrypted)
    out = StringIO()
    call_command("reencrypt", stdout=out)
    assert "Re-encrypted 1 value(s) under key 'new1'; 0 remaining" in out.getvalue()
