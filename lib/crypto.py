"""The one keyring for encryption at rest (DESIGN 4.2): secrets the server must use again, in AES-256-GCM.

`ENCRYPTION_KEYS` holds `id:base64key` pairs, newest first; each key is 32 random bytes in (URL-safe
or standard) base64. The newest key encrypts, every key decrypts. A value is stored as
`enc1$<key id>$<base64url(nonce ‖ ciphertext ‖ tag)>`, and its associated data is
`<purpose>:<row id>`, so a ciphertext copied onto another row, or into another field, does not open.

Two older formats still open while their keys are configured, so existing rows keep working:
- `<key id>$<payload>`: webhook secrets under `WEBHOOK_ENCRYPTION_KEYS` (the same `id:base64key`
  format; when `ENCRYPTION_KEYS` is unset, its newest key is also the one that encrypts);
- `aesgcm$<version>$<payload>`: signing and sealed secrets under `KEYS_ENCRYPTION_KEYS`
  (`version:secret`, stretched with HKDF-SHA256); decrypt only.
`manage.py reencrypt` moves every registered field onto the newest key, after which older keys and
both old variables can go. Every encrypted field registers here (`register_field`), and `encrypt`
refuses a purpose nobody registered, so no field can be left out of a re-encryption.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured
from django.db import models

SCHEME = "enc1"
LEGACY_KEYS_SCHEME = "aesgcm"
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
_LEGACY_INFO = b"keyhouse keys encryption at rest v1"
# Only for DEBUG (config/settings/ defaults to it); system check lib.E002 refuses it in production.
# The same bytes as the old webhook development key, so a development database keeps its webhook secrets.
DEV_KEYS = "dev:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
_DEV_KEY = base64.b64decode(DEV_KEYS.partition(":")[2])


class DecryptionError(Exception):
    """The value is malformed, was sealed by a key we no longer hold, or was tampered with or moved."""


# --- the keyring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keyring:
    """Raw keys by id (the first one encrypts), and the decrypt-only `KEYS_ENCRYPTION_KEYS` versions."""

    keys: tuple[tuple[str, bytes], ...]
    legacy_versions: tuple[tuple[int, bytes], ...] = ()
    source: str = "ENCRYPTION_KEYS"

    @property
    def newest_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return next((k for kid, k in self.keys if kid == key_id), None)

    def legacy_key(self, version: int) -> bytes | None:
        return next((k for v, k in self.legacy_versions if v == version), None)

    def uses_development_key(self) -> bool:
        return any(k == _DEV_KEY for _, k in self.keys)


def _decode_key(name: str, text: str) -> bytes:
    """32 bytes from standard or URL-safe base64, padded or not; anything else is refused."""
    normalized = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(normalized + "=" * (-len(normalized) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(f"each {name} key must be 32 bytes in base64")
    return raw


def parse_keys(name: str, value: str | None) -> tuple[tuple[str, bytes], ...]:
    """`id:base64key,…` (newest first) as (id, key) pairs; raises ImproperlyConfigured on anything else."""
    keys: list[tuple[str, bytes]] = []
    for entry in (e.strip() for e in (value or "").split(",")):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(f"{name} entries look like `2:base64key`; ids are 1-16 letters or digits.")
        if any(kid == key_id for kid, _ in keys):
            raise ImproperlyConfigured(f"{name} repeats the key id {key_id!r}.")
        keys.append((key_id, _decode_key(name, encoded)))
    return tuple(keys)


def version_secret_pairs(
    setting: str, value: str | None, *, min_length: int, shape: str = "'version:secret' pairs"
) -> list[tuple[int, str]]:
    """The `version:secret` items of a comma-separated setting, in order. A malformed item, a secret shorter
    than `min_length` or a repeated version is ImproperlyConfigured, naming `setting` (and `shape`)."""
    out: list[tuple[int, str]] = []
    for item in (i.strip() for i in (value or "").split(",")):
        if not item:
            continue
        version, sep, secret = item.partition(":")
        if not sep or not version.isdigit() or len(secret) < min_length:
            raise ImproperlyConfigured(f"{setting} must be {shape}, each secret at least {min_length} characters.")
        if any(v == int(version) for v, _ in out):
            raise ImproperlyConfigured(f"{setting} repeats a version.")
        out.append((int(version), secret))
    return out


def _parse_legacy_versions(value: str | None) -> tuple[tuple[int, bytes], ...]:
    pairs = version_secret_pairs("KEYS_ENCRYPTION_KEYS", value, min_length=32)
    return tuple(
        (version, HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LEGACY_INFO).derive(secret.encode()))
        for version, secret in pairs
    )


@lru_cache(maxsize=8)
def _ring_for(current: str, webhook_legacy: str, keys_legacy: str) -> Keyring:
    primary = parse_keys("ENCRYPTION_KEYS", current)
    legacy = parse_keys("WEBHOOK_ENCRYPTION_KEYS", webhook_legacy)
    source = "ENCRYPTION_KEYS"
    if not primary:
        if not legacy:
            raise ImproperlyConfigured(
                "ENCRYPTION_KEYS is empty; set it to `id:base64key` pairs, newest first (docs/configuration.md)."
            )
        primary, legacy, source = legacy, (), "WEBHOOK_ENCRYPTION_KEYS"
    keys = list(primary)
    for key_id, key in legacy:
        known = next((k for kid, k in keys if kid == key_id), None)
        if known is None:
            keys.append((key_id, key))
        elif known != key:
            raise ImproperlyConfigured(
                f"ENCRYPTION_KEYS and WEBHOOK_ENCRYPTION_KEYS give the key id {key_id!r} two different keys."
            )
    return Keyring(tuple(keys), _parse_legacy_versions(keys_legacy), source)


def keyring() -> Keyring:
    """The configured keyring, cached per setting value (tests that override the settings see theirs)."""
    return _ring_for(
        str(getattr(settings, "ENCRYPTION_KEYS", "") or ""),
        str(getattr(settings, "WEBHOOK_ENCRYPTION_KEYS", "") or ""),
        str(getattr(settings, "KEYS_ENCRYPTION_KEYS", "") or ""),
    )


# --- encrypted fields --------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedField:
    """A model field that holds ciphertexts of `purpose`, bound to the row id read from `row_id` (an attname)."""

    model: type[models.Model]
    field: str
    purpose: str
    row_id: str = "pk"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


_FIELDS: dict[str, EncryptedField] = {}


def register_field(model: type[models.Model], field: str, *, purpose: str, row_id: str = "pk") -> None:
    """Declare an encrypted field (from its app's `ready()`), so `manage.py reencrypt` walks it. Idempotent."""
    entry = EncryptedField(model, field, purpose, row_id)
    _FIELDS[entry.label] = entry


def registered_fields() -> list[EncryptedField]:
    return list(_FIELDS.values())


def _associated_data(purpose: str, row_id: Any) -> bytes:
    if not purpose or ":" in purpose or row_id in (None, ""):
        raise ValueError("encryption needs a purpose without ':' and the row's id")
    return f"{purpose}:{row_id}".encode()


# --- sealing and opening -----------------------------------------------------------------------


def encrypt(plaintext: str, *, purpose: str, row_id: Any, ephemeral: bool = False) -> str:
    """Seal `plaintext` under the newest key; the same `purpose` and `row_id` are needed to open it.
    `ephemeral` values live minutes (a session's reveal stash), so no re-encryption needs to find them."""
    if not ephemeral and not any(f.purpose == purpose for f in _FIELDS.values()):
        raise ValueError(f"no encrypted field is registered for {purpose!r}; manage.py reencrypt would miss it")
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[0][1]).encrypt(nonce, plaintext.encode(), _associated_data(purpose, row_id))
    return f"{SCHEME}${ring.newest_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _key_for(value: str) -> tuple[bytes, str]:
    """(key, payload) for any of the three formats, or DecryptionError naming what is missing."""
    parts = value.split("$")
    ring = keyring()
    if len(parts) == 3 and parts[0] == SCHEME:
        key, name = ring.key(parts[1]), f"key id {parts[1]!r}"
    elif len(parts) == 3 and parts[0] == LEGACY_KEYS_SCHEME and parts[1].isdigit():
        key, name = ring.legacy_key(int(parts[1])), f"KEYS_ENCRYPTION_KEYS version {parts[1]}"
    elif len(parts) == 2 and _KEY_ID.match(parts[0]):
        key, name = ring.key(parts[0]), f"key id {parts[0]!r}"
    else:
        raise DecryptionError("not an encrypted value of a known format")
    if key is None:
        raise DecryptionError(f"no configured key has the {name}")
    return key, parts[-1]


def decrypt(value: str, *, purpose: str, row_id: Any) -> str:
    """The plaintext, or DecryptionError; the message never includes key material or plaintext."""
    key, payload = _key_for(value)
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(purpose, row_id)).decode()
    except (InvalidTag, binascii.Error, ValueError, UnicodeError):
        raise DecryptionError("the value does not open under its key (tampered, or from another row)") from None


def current_prefix() -> str:
    """What every value sealed under the newest key starts with (a database filter for stale rows)."""
    return f"{SCHEME}${keyring().newest_id}$"


def key_id_of(value: str) -> str | None:
    """The id of the keyring key that sealed `value`, or None for the decrypt-only `aesgcm$` format."""
    parts = value.split("$")
    if len(parts) == 3 and parts[0] == SCHEME:
        return parts[1]
    return parts[0] if len(parts) == 2 else None


def needs_reencryption(value: str) -> bool:
    """Whether `value` is in an older format or under an older key than the newest one."""
    return bool(value) and not value.startswith(current_prefix())


# --- the system check --------------------------------------------------------------------------


def check_keyring(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """lib.E001: the keyring is empty or malformed; lib.E002: the development key outside DEBUG."""
    try:
        ring = keyring()
    except ImproperlyConfigured as exc:
        hint = "Generate a key: python -c \"import base64, os; print('1:' + base64.urlsafe_b64encode(os.urandom(32)).decode())\""
        return [Error(str(exc), hint=hint, id="lib.E001")]
    legacy_dev = "dev-only" in str(getattr(settings, "KEYS_ENCRYPTION_KEYS", "") or "")
    if (ring.uses_development_key() or legacy_dev) and not settings.DEBUG:
        return [Error("The encryption keyring uses the development key.", hint="Set ENCRYPTION_KEYS.", id="lib.E002")]
    return []
