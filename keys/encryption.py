"""Encryption at rest for secrets the server must use again (DESIGN 4.2): HMAC request-signing secrets.

`KEYS_ENCRYPTION_KEYS` holds versioned keys, newest first (`2:<secret>,1:<older secret>`), like
`KEYS_PEPPERS`. Each secret is stretched with HKDF-SHA256 into an AES-256-GCM key. A value is stored
as `aesgcm$<version>$<base64url(nonce || ciphertext)>` and bound to its row by associated data, so
a ciphertext copied onto another row does not decrypt. New values use the newest key; older keys
keep decrypting until `manage.py reencrypt_signing_secrets` has moved every row forward.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SCHEME = "aesgcm"
_INFO = b"keyhouse keys encryption at rest v1"
DEV_KEYS = "1:dev-only-keys-encryption-key-do-not-use-in-production"


class DecryptionError(Exception):
    """The value cannot be decrypted with any configured key (wrong row, unknown version, or tampered)."""


@cache
def _keys(raw: str) -> tuple[tuple[int, AESGCM], ...]:
    out: list[tuple[int, AESGCM]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        version, sep, secret = item.partition(":")
        if not sep or not version.isdigit() or len(secret) < 32:
            raise ImproperlyConfigured(
                "KEYS_ENCRYPTION_KEYS must be 'version:secret' pairs, newest first, each secret at least 32 characters."
            )
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
        out.append((int(version), AESGCM(derived)))
    if not out:
        raise ImproperlyConfigured("KEYS_ENCRYPTION_KEYS names no key.")
    if len({v for v, _ in out}) != len(out):
        raise ImproperlyConfigured("KEYS_ENCRYPTION_KEYS repeats a version.")
    return tuple(out)


def keys() -> tuple[tuple[int, AESGCM], ...]:
    """The configured keys, newest first; raises ImproperlyConfigured when the setting is unusable."""
    return _keys(settings.KEYS_ENCRYPTION_KEYS or "")


def current_version() -> int:
    return keys()[0][0]


def encrypt(plaintext: str, *, context: str) -> str:
    """Encrypt under the newest key; `context` (e.g. `signing_secret:<id>`) must be given again to decrypt."""
    version, aead = keys()[0]
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{SCHEME}${version}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def version_of(value: str) -> int | None:
    scheme, _, rest = value.partition("$")
    version, _, _ = rest.partition("$")
    return int(version) if scheme == SCHEME and version.isdigit() else None


def decrypt(value: str, *, context: str) -> str:
    """The plaintext, or DecryptionError; the message never includes key material or plaintext."""
    scheme, _, rest = value.partition("$")
    version_text, _, payload = rest.partition("$")
    if scheme != SCHEME or not version_text.isdigit():
        raise DecryptionError("Not an encrypted value of a known scheme.")
    version = int(version_text)
    aead = next((a for v, a in keys() if v == version), None)
    if aead is None:
        raise DecryptionError(f"Encryption key version {version} is not configured in KEYS_ENCRYPTION_KEYS.")
    try:
        raw = base64.urlsafe_b64decode(payload.encode("ascii"))
        return aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError, UnicodeError):
        raise DecryptionError("The value does not decrypt under its key (tampered, or from another row).") from None


def needs_reencryption(value: str) -> bool:
    """Whether the value is under an older key than the newest one."""
    return version_of(value) != current_version()
