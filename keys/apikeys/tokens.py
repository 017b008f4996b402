"""The API key format (DESIGN 4.1): `{prefix}_{env}_{id}{secret}{check}`.

`id` is 8 base62 characters (public, indexed), `secret` 32 base62 characters from `secrets`, and
`check` the base62 CRC32 of everything before it, zero-padded to 6. Parsing never touches the
database, so a mistyped or truncated key is refused for free.
"""

from __future__ import annotations

import re
import secrets
import zlib
from typing import NamedTuple

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 8
SECRET_LENGTH = 32
CHECK_LENGTH = 6
ENVIRONMENTS = ("live", "test")
_BODY = ID_LENGTH + SECRET_LENGTH + CHECK_LENGTH
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
# The key's shape as a regex: `split` checks the same by slicing, and a property test holds them equal.
_KEY_RE = re.compile(rf"^([a-z][a-z0-9]{{0,15}})_(live|test)_([0-9A-Za-z]{{{_BODY}}})$")
# Longest prefix (16) + "_" + "live" + "_" + body.
MAX_LENGTH = 16 + 1 + 4 + 1 + _BODY


def scanner_regex(prefix: str) -> str:
    """A regex for secret scanners (gitleaks, GitHub custom patterns)."""
    return rf"\b{re.escape(prefix)}_(?:live|test)_[0-9A-Za-z]{{{_BODY}}}\b"


def random_base62(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars)).rjust(width, "0")


# Every two-character base62 string, so a checksum (which parse computes on every request) takes two
# divisions instead of six: 62**6 > 2**32, so a CRC32 always fits the three pairs.
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]
_PAIR_BASE = len(_PAIRS)


def checksum(text: str) -> str:
    """`base62(crc32(text), CHECK_LENGTH)`."""
    high, low = divmod(zlib.crc32(text.encode("ascii")), _PAIR_BASE)
    top, middle = divmod(high, _PAIR_BASE)
    return _PAIRS[top] + _PAIRS[middle] + _PAIRS[low]


def validate_prefix(prefix: str) -> None:
    if not _PREFIX_RE.match(prefix):
        raise ValueError("The key prefix must be 1-16 lowercase letters or digits, starting with a letter.")


class ParsedKey(NamedTuple):
    """A NamedTuple, not a frozen dataclass: as immutable, and five times cheaper to build on the hot path."""

    prefix: str
    environment: str
    key_id: str
    raw: str


def build(prefix: str, environment: str, key_id: str, secret: str | None = None) -> str:
    """Assemble a full key; `secret` is freshly generated unless given."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"environment must be one of {ENVIRONMENTS}")
    head = f"{prefix}_{environment}_{key_id}{secret or random_base62(SECRET_LENGTH)}"
    return head + checksum(head)


def split(raw: str, *, prefix: str) -> ParsedKey | None:
    """The parts of a key of this deployment's shape, or None; the checksum is not looked at (see `parse`)."""
    # What `_KEY_RE` with `prefix` as its first group accepts, checked by slicing: the regex costs
    # more than the rest of a warm verification's parsing (keys/tests/test_tokens.py compares them).
    n = len(prefix)
    if not isinstance(raw, str) or len(raw) != n + 6 + _BODY or not raw.startswith(prefix):
        return None
    environment = raw[n + 1 : n + 5]
    if raw[n] != "_" or raw[n + 5] != "_" or environment not in ENVIRONMENTS:
        return None
    body = raw[n + 6 :]
    if not (body.isascii() and body.isalnum()):
        return None
    return ParsedKey(prefix, environment, body[:ID_LENGTH], raw)


def checksum_ok(raw: str) -> bool:
    return secrets.compare_digest(checksum(raw[:-CHECK_LENGTH]), raw[-CHECK_LENGTH:])


def parse(raw: str, *, prefix: str) -> ParsedKey | None:
    """Split a presented key, or return None when it is not a well-formed key of this deployment."""
    parsed = split(raw, prefix=prefix)
    return parsed if parsed is not None and checksum_ok(raw) else None
