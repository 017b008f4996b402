"""Encryption at rest for secrets the server must use again (DESIGN 4.2): AES-256-GCM under a rotatable key list.

`WEBHOOK_ENCRYPTION_KEYS` holds `id:base64key` pairs, newest first; each key is 32 random bytes in
(URL-safe or standard) base64. Ciphertexts read `<key id>$<base64url(nonce ‖ ciphertext ‖ tag)>`,
so decryption picks its key by id and `manage.py reencrypt_webhook_secrets` finds what an older key
sealed. The associated data binds a ciphertext to its row, so it cannot be moved to another one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_KEY_ID = re.compile(r"^[A-Za-z0-9]{1,16}$")
NONCE_BYTES = 12
# Only for DEBUG; the system check webhooks.E002 refuses it in production.
DEV_KEYS = "dev:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="


class DecryptionError(Exception):
    """The ciphertext is malformed, was sealed by a key we no longer hold, or was tampered with."""


@dataclass(frozen=True)
class KeyRing:
    """Encryption keys by id; the first one encrypts, all of them decrypt."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def newest_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return next((k for kid, k in self.keys if kid == key_id), None)


def _decode_key(text: str) -> bytes:
    """32 bytes from standard or URL-safe base64, padded or not; anything else is refused."""
    normalized = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(normalized + "=" * (-len(normalized) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured("each WEBHOOK_ENCRYPTION_KEYS key must be 32 bytes in base64")
    return raw


def parse_keys(value: str | None) -> KeyRing:
    """Parse `id:base64key,…` (newest first). Raises ImproperlyConfigured on anything else."""
    entries = [e.strip() for e in (value or "").split(",") if e.strip()]
    if not entries:
        raise ImproperlyConfigured(
            "WEBHOOK_ENCRYPTION_KEYS is empty; set it to `id:base64key` pairs, newest first (see docs/webhooks.md)."
        )
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "WEBHOOK_ENCRYPTION_KEYS entries look like `2:base64key`; ids are 1-16 letters or digits."
            )
        if any(kid == key_id for kid, _ in keys):
            raise ImproperlyConfigured(f"WEBHOOK_ENCRYPTION_KEYS repeats the key id {key_id!r}.")
        keys.append((key_id, _decode_key(encoded)))
    return KeyRing(tuple(keys))


@lru_cache(maxsize=4)
def _ring_for(value: str) -> KeyRing:
    return parse_keys(value)


def keyring() -> KeyRing:
    """The configured key ring (cached per setting value, so tests that override the setting see theirs)."""
    return _ring_for(str(getattr(settings, "WEBHOOK_ENCRYPTION_KEYS", "") or ""))


def encrypt(plaintext: str, *, context: str) -> str:
    """Seal `plaintext` under the newest key; `context` (such as the owning row's id) must match on decrypt."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.keys[0][1]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{ring.newest_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(ciphertext: str) -> str:
    return ciphertext.partition("$")[0]


def decrypt(ciphertext: str, *, context: str) -> str:
    """Open a ciphertext from `encrypt`, with whichever configured key sealed it."""
    key_id, sep, body = ciphertext.partition("$")
    key = keyring().key(key_id) if sep else None
    if key is None:
        raise DecryptionError(f"no configured WEBHOOK_ENCRYPTION_KEYS entry has the id {key_id!r}")
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise DecryptionError("the ciphertext does not open under its key (tampered or moved)") from exc


def needs_reencryption(ciphertext: str) -> bool:
    return key_id_of(ciphertext) != keyring().newest_id
