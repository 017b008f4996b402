"""RSA signing keys for ID tokens and JWT access tokens, as PEM text (loaded by config/settings/).

Kept free of Django models so settings can import it. The active key signs; inactive keys stay in
the JWKS so tokens signed before a rotation still verify until they expire (docs/oauth.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.+?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)
DEFAULT_BITS = 3072


def generate_pem(bits: int = DEFAULT_BITS) -> str:
    """A new RSA private key as unencrypted PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def normalize_pem(text: str) -> str:
    """Accept PEMs pasted into one-line env vars with literal `\\n` escapes."""
    if "\\n" in text and "\n" not in text.strip():
        text = text.replace("\\n", "\n")
    return text.strip()


def split_pems(text: str) -> list[str]:
    """Every private-key PEM block in `text` (the inactive-key list is PEMs one after another)."""
    return [m.group(0) for m in _PEM_BLOCK.finditer(normalize_pem(text))]


def dev_private_key(path: Path) -> str:
    """The development-only key: generated once into `path` (mode 0600) so every local process shares it."""
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: of two processes starting together, one key wins whole.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(generate_pem(2048))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text()
