"""Keyed hashing of API keys at rest (DESIGN 4.2): `hmac-sha256$<pepper version>$<hex>`.

Keys carry ~190 random bits, so a slow hash adds no protection and would cost ~100 ms per
request; a keyed HMAC means a stolen database alone cannot confirm a guessed key. Peppers come
from KEYS_PEPPERS (newest first) and are versioned so they can be rotated: a key verified under
an older pepper is rehashed on use.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "hmac-sha256"


@cache
def _peppers(raw: str) -> tuple[tuple[int, bytes], ...]:
    out: list[tuple[int, bytes]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        version, sep, secret = item.partition(":")
        if not sep or not version.isdigit() or len(secret) < 16:
            raise ImproperlyConfigured(
                "KEYS_PEPPERS must be 'version:secret' pairs, newest first, each secret at least 16 characters."
            )
        out.append((int(version), secret.encode()))
    if not out:
        raise ImproperlyConfigured("KEYS_PEPPERS names no pepper.")
    if len({v for v, _ in out}) != len(out):
        raise ImproperlyConfigured("KEYS_PEPPERS repeats a version.")
    return tuple(out)


def peppers() -> tuple[tuple[int, bytes], ...]:
    return _peppers(settings.KEYS_PEPPERS)


@cache
def _table(raw: str) -> dict[int, bytes]:
    # Built once per KEYS_PEPPERS value: `check` runs on every request.
    return dict(_peppers(raw))


def current_version() -> int:
    return peppers()[0][0]


def make_hash(key: str, version: int | None = None) -> str:
    table = dict(peppers())
    version = current_version() if version is None else version
    digest = hmac.new(table[version], key.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM}${version}${digest}"


def check(key: str, stored: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). Constant-time; an unknown pepper version never matches."""
    algorithm, _, rest = stored.partition("$")
    version_text, _, digest = rest.partition("$")
    if algorithm != ALGORITHM or not version_text.isdigit():
        return False, False
    raw = settings.KEYS_PEPPERS
    pepper = _table(raw).get(int(version_text))
    if pepper is None:
        return False, False
    expected = hmac.digest(pepper, key.encode(), hashlib.sha256).hex()  # one-shot C HMAC: same bytes as hmac.new
    ok = hmac.compare_digest(expected, digest)
    return ok, ok and int(version_text) != _peppers(raw)[0][0]
