"""Signing secrets are encrypted at rest under a rotatable key list, and misconfiguration is a system check."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.management import call_command

from webhooks import crypto
from webhooks.checks import check_webhook_settings
from webhooks.models import EndpointSecret
from webhooks.services.endpoints import endpoint_secrets

pytestmark = pytest.mark.django_db
VALID = base64.b64encode(bytes(range(32))).decode()


def _key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def test_a_ciphertext_opens_only_under_its_context(settings) -> None:  # type: ignore[no-untyped-def]
    sealed = crypto.encrypt("whsec_abc", context="endpoint:ep_1")
    assert "whsec_abc" not in sealed and sealed.startswith(crypto.keyring().newest_id + "$")
    assert crypto.decrypt(sealed, context="endpoint:ep_1") == "whsec_abc"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, context="endpoint:ep_2")  # moved to another row
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed[:-4] + "AAAA", context="endpoint:ep_1")  # tampered


def test_older_keys_still_decrypt_and_the_command_reencrypts_under_the_newest(  # type: ignore[no-untyped-def]
    settings, make_endpoint, capsys
) -> None:
    endpoint, secret = make_endpoint()
    old_ring = settings.WEBHOOK_ENCRYPTION_KEYS
    settings.WEBHOOK_ENCRYPTION_KEYS = f"{_key('n2')},{old_ring}"
    row = EndpointSecret.objects.get(endpoint=endpoint)
    assert crypto.needs_reencryption(row.ciphertext)
    assert endpoint_secrets(endpoint) == [secret]  # the old key still opens it

    call_command("reencrypt_webhook_secrets", "--dry-run")
    assert "1 secret(s) would be re-encrypted" in capsys.readouterr().out
    call_command("reencrypt_webhook_secrets")
    assert "Re-encrypted 1 secret(s) under key 'n2'" in capsys.readouterr().out
    row.refresh_from_db()
    assert row.ciphertext.startswith("n2$")

    settings.WEBHOOK_ENCRYPTION_KEYS = settings.WEBHOOK_ENCRYPTION_KEYS.split(",")[0]  # the old key is retired
    assert endpoint_secrets(endpoint) == [secret]
    call_command("reencrypt_webhook_secrets")
    assert "Re-encrypted 0 secret(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "value",
    ["", "   ", "nokeyid", "1:short", f"1:{VALID},1:{VALID}", f"bad id!:{VALID}", "1:%%%%", f"1:{VALID}A"],
)
def test_an_empty_or_malformed_key_list_is_system_check_e001(settings, value) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ENCRYPTION_KEYS = value
    assert [p.id for p in check_webhook_settings()] == ["webhooks.E001"]


def test_the_development_key_outside_debug_is_e002_and_loopback_is_w001(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    settings.WEBHOOK_ENCRYPTION_KEYS = crypto.DEV_KEYS
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert sorted(p.id for p in check_webhook_settings()) == ["webhooks.E002", "webhooks.W001"]
    settings.WEBHOOK_ENCRYPTION_KEYS = _key("1")
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.1.0.0/16", "nonsense"]
    assert [p.id for p in check_webhook_settings()] == ["webhooks.E003"]
