"""`manage.py reencrypt` moves every encrypted field onto the newest key, so the old key can be retired.

Signing secrets (current and previous), webhook endpoint secrets (current and rotated-out) and the
sealed successor of a scheduled rotation all still open, and the successor can still be revealed once.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from keys.apikeys.rotation import rotation_policy_set, rotation_run
from keys.apikeys.sealed import sealed_secret_reveal
from keys.models import APIKey, SealedSecret, SigningSecret
from keys.services import Code, key_check, signing_secret_create, signing_secret_rotate
from keys.signing.services import candidate_secrets
from keys.tests.jobs_helpers import NOW
from lib import crypto
from webhooks.models import EndpointSecret
from webhooks.services import endpoint_create, endpoint_secret_rotate
from webhooks.services.endpoints import endpoint_secrets

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def _key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def _stored() -> list[str]:
    """Every ciphertext in the database, whatever field it is in."""
    values = [v for f in crypto.registered_fields() for v in f.model._default_manager.values_list(f.field, flat=True)]
    return [v for v in values if v]


def _opened() -> dict[tuple[str, str], str]:
    """Every ciphertext in the database opened with the configured keys, by (field, row)."""
    out = {}
    for f in crypto.registered_fields():
        for pk, value, row_id in f.model._default_manager.exclude(**{f.field: ""}).values_list("pk", f.field, f.row_id):
            out[(f.label, str(pk))] = crypto.decrypt(value, purpose=f.purpose, row_id=row_id)
    return out


def _reencrypt(*args: str) -> str:
    out = StringIO()
    call_command("reencrypt", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def everything(org, alice, make_key):  # type: ignore[no-untyped-def]
    """A rotated signing secret, a rotated webhook endpoint and an unrevealed sealed successor."""
    with time_machine.travel(NOW, tick=False) as traveller:
        secret, _ = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
        secret, signing_plaintext = signing_secret_rotate(secret=secret, actor=alice, grace=timedelta(hours=1))
        endpoint, _ = endpoint_create(organization=org, actor=alice, url="https://hooks.example.com/in")
        endpoint_secret_rotate(endpoint=endpoint, actor=alice)
        key, _ = make_key(environment="test")
        rotation_policy_set(key=key, actor=alice, interval=30 * DAY, grace=2 * DAY)
        traveller.shift(30 * DAY)
        assert rotation_run().rolled == [key.id]
        successor = APIKey.objects.get(predecessor=key)
        yield secret, signing_plaintext, endpoint, successor


def test_reencrypt_moves_every_field_and_the_old_key_can_go(settings, alice, everything) -> None:  # type: ignore[no-untyped-def]
    secret, signing_plaintext, endpoint, successor = everything
    webhook_secrets = endpoint_secrets(endpoint)
    plaintexts = _opened()
    stored = _stored()
    assert len(stored) == 5  # signing current + previous, two endpoint secrets, one sealed successor
    old_keys = settings.ENCRYPTION_KEYS

    settings.ENCRYPTION_KEYS = f"{_key('new1')},{old_keys}"
    assert all(crypto.needs_reencryption(v) for v in stored)
    dry = _reencrypt("--dry-run")
    assert (
        "5 value(s) would be re-encrypted under key 'new1'" in dry
        and f"{SealedSecret._meta.label}.ciphertext: 1" in dry
    )
    assert _stored() == stored  # a dry run changes nothing
    assert "Re-encrypted 5 value(s) under key 'new1'; 0 remaining" in _reencrypt("--batch-size", "2")
    assert all(crypto.key_id_of(v) == "new1" for v in _stored())

    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[0]  # every older key retired
    assert _opened() == plaintexts  # every field of every row, the previous secrets included
    row = SigningSecret.objects.get(pk=secret.pk)
    assert [s.decode() for _, s in candidate_secrets(row).secrets] == [signing_plaintext]
    assert endpoint_secrets(endpoint) == webhook_secrets
    assert EndpointSecret.objects.filter(endpoint=endpoint).count() == 2
    assert "Re-encrypted 0 value(s)" in _reencrypt()
    assert AuditEvent.objects.filter(action="encryption.reencrypted").count() == 2
    with time_machine.travel(NOW + 30 * DAY, tick=False):
        revealed = sealed_secret_reveal(key=successor, actor=alice)
        assert key_check(revealed, ip="192.0.2.7").code is Code.VALID


def test_a_value_no_configured_key_opens_is_reported_and_fails_the_command(settings, everything) -> None:  # type: ignore[no-untyped-def]
    settings.ENCRYPTION_KEYS = _key("other")  # the keys that sealed the rows are gone
    with pytest.raises(CommandError, match="open under no configured key"):
        _reencrypt()
    assert all(crypto.key_id_of(v) != "other" for v in _stored())  # nothing was overwritten


def _legacy_keys_value(secret: str, version: int, plaintext: str, associated: str) -> str:
    """A value as the old keys.encryption sealed it: `aesgcm$<version>$…` under an HKDF-stretched secret."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"keyhouse keys encryption at rest v1").derive(
        secret.encode()
    )
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated.encode())
    return f"aesgcm${version}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _legacy_webhook_value(entry: str, plaintext: str, associated: str) -> str:
    """A value as the old webhooks.crypto sealed it: `<key id>$…` under a raw 32-byte key."""
    key_id, _, encoded = entry.partition(":")
    nonce = os.urandom(12)
    sealed = AESGCM(base64.urlsafe_b64decode(encoded)).encrypt(nonce, plaintext.encode(), associated.encode())
    return f"{key_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def test_the_old_variables_and_ciphertexts_still_work_until_reencrypt_moves_them(settings, org, alice) -> None:  # type: ignore[no-untyped-def]
    keys_secret = "an-old-keys-encryption-key-0123456789abcdefgh"
    webhook_entry = _key("w1")
    settings.ENCRYPTION_KEYS = ""  # an installation that only has the two old variables
    settings.KEYS_ENCRYPTION_KEYS = f"3:{keys_secret}"
    settings.WEBHOOK_ENCRYPTION_KEYS = webhook_entry
    assert crypto.keyring().newest_id == "w1"  # the old webhook key encrypts until ENCRYPTION_KEYS is set
    assert [m.id for m in crypto.check_keyring()] == []  # type: ignore[misc]

    secret, plaintext = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
    SigningSecret.objects.filter(pk=secret.pk).update(
        secret_encrypted=_legacy_keys_value(keys_secret, 3, plaintext, f"signing_secret:{secret.pk}")
    )
    endpoint, webhook_plaintext = endpoint_create(organization=org, actor=alice, url="https://hooks.example.com/in")
    EndpointSecret.objects.filter(endpoint=endpoint).update(
        ciphertext=_legacy_webhook_value(webhook_entry, webhook_plaintext, f"webhooks.endpoint_secret:{endpoint.id}")
    )
    row = SigningSecret.objects.get(pk=secret.pk)
    assert row.secret_encrypted.startswith("aesgcm$3$")
    assert [s.decode() for _, s in candidate_secrets(row).secrets] == [plaintext]
    assert endpoint_secrets(endpoint) == [webhook_plaintext]

    settings.ENCRYPTION_KEYS = _key("k1")  # the new setting, next to the old ones
    assert "Re-encrypted 2 value(s) under key 'k1'" in _reencrypt()
    settings.KEYS_ENCRYPTION_KEYS = settings.WEBHOOK_ENCRYPTION_KEYS = ""  # and now the old ones go
    assert [s.decode() for _, s in candidate_secrets(SigningSecret.objects.get(pk=secret.pk)).secrets] == [plaintext]
    assert endpoint_secrets(endpoint) == [webhook_plaintext]
