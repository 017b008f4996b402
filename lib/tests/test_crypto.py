"""The one keyring: values are bound to their purpose and row, any configured key opens, the newest seals."""

from __future__ import annotations

import base64
import os

import pytest

from lib import crypto

VALID = base64.b64encode(bytes(range(32))).decode()
PURPOSE = "webhooks.endpoint_secret"  # a registered purpose (encrypt refuses others)


def _key(kid: str) -> str:
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def _ids() -> list[str]:
    return [m.id for m in crypto.check_keyring()]  # type: ignore[misc]


def test_a_ciphertext_opens_only_under_its_purpose_and_row() -> None:
    sealed = crypto.encrypt("whsec_abc", purpose=PURPOSE, row_id="ep_1")
    assert "whsec_abc" not in sealed and sealed.startswith(crypto.current_prefix())
    assert crypto.key_id_of(sealed) == crypto.keyring().newest_id and not crypto.needs_reencryption(sealed)
    assert crypto.decrypt(sealed, purpose=PURPOSE, row_id="ep_1") == "whsec_abc"
    for purpose, row_id in ((PURPOSE, "ep_2"), ("signing_secret", "ep_1")):  # moved to another row or field
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(sealed, purpose=purpose, row_id=row_id)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed[:-4] + "AAAA", purpose=PURPOSE, row_id="ep_1")  # tampered
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("plaintext", purpose=PURPOSE, row_id="ep_1")


def test_encrypt_refuses_a_purpose_no_registered_field_has() -> None:
    # Every ciphertext must belong to a field `manage.py reencrypt` walks, or retiring a key destroys it.
    assert {"signing_secret", "sealed_secret", PURPOSE} <= {f.purpose for f in crypto.registered_fields()}
    with pytest.raises(ValueError, match="no encrypted field is registered"):
        crypto.encrypt("x", purpose="unregistered", row_id="1")


def test_an_older_key_still_opens_and_the_newest_seals(settings) -> None:  # type: ignore[no-untyped-def]
    old = crypto.encrypt("secret", purpose=PURPOSE, row_id="ep_1")
    settings.ENCRYPTION_KEYS = f"{_key('n9')},{settings.ENCRYPTION_KEYS}"
    assert crypto.keyring().newest_id == "n9" and crypto.needs_reencryption(old)
    assert crypto.decrypt(old, purpose=PURPOSE, row_id="ep_1") == "secret"
    assert crypto.key_id_of(crypto.encrypt("secret", purpose=PURPOSE, row_id="ep_1")) == "n9"
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS.split(",")[0]  # the old key retired too early
    with pytest.raises(crypto.DecryptionError, match="no configured key"):
        crypto.decrypt(old, purpose=PURPOSE, row_id="ep_1")


@pytest.mark.parametrize(
    "value",
    ["", "   ", "nokeyid", "1:short", f"1:{VALID},1:{VALID}", f"bad id!:{VALID}", "1:%%%%", f"1:{VALID}A"],
)
def test_an_empty_or_malformed_key_list_is_system_check_e001(settings, value) -> None:  # type: ignore[no-untyped-def]
    settings.ENCRYPTION_KEYS = value
    settings.WEBHOOK_ENCRYPTION_KEYS = ""
    assert _ids() == ["lib.E001"]


def test_the_old_variables_are_checked_too(settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_ENCRYPTION_KEYS = "1:short"
    assert _ids() == ["lib.E001"]
    settings.KEYS_ENCRYPTION_KEYS = ""
    settings.WEBHOOK_ENCRYPTION_KEYS = "nokeyid"
    assert _ids() == ["lib.E001"]
    # One key id naming two different keys across ENCRYPTION_KEYS and WEBHOOK_ENCRYPTION_KEYS is ambiguous.
    settings.WEBHOOK_ENCRYPTION_KEYS = f"{settings.ENCRYPTION_KEYS.partition(':')[0]}:{VALID}"
    assert _ids() == ["lib.E001"]
    settings.ENCRYPTION_KEYS = ""  # unset: the newest old webhook key encrypts
    assert _ids() == [] and crypto.keyring().source == "WEBHOOK_ENCRYPTION_KEYS"


def test_the_development_key_is_refused_outside_debug_as_e002(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    assert _ids() == []
    settings.ENCRYPTION_KEYS = crypto.DEV_KEYS
    assert _ids() == ["lib.E002"]
    settings.DEBUG = True
    assert _ids() == []
    settings.DEBUG = False
    settings.ENCRYPTION_KEYS = _key("1")
    settings.WEBHOOK_ENCRYPTION_KEYS = crypto.DEV_KEYS  # the old webhook development key
    assert _ids() == ["lib.E002"]
    settings.WEBHOOK_ENCRYPTION_KEYS = ""
    settings.KEYS_ENCRYPTION_KEYS = "1:dev-only-keys-encryption-key-do-not-use-in-production"
    assert _ids() == ["lib.E002"]


def test_settings_default_to_the_one_development_key_this_module_refuses() -> None:
    from pathlib import Path

    settings_py = Path(__file__).resolve().parents[2] / "config" / "settings" / "credentials.py"
    assert f'ENCRYPTION_KEYS = "{crypto.DEV_KEYS}"' in settings_py.read_text()
