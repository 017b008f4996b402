"""Checking a presented key: the one code path behind APIKeyAuthentication and POST /api/v1/verify."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from keys.apikeys import hashing, tokens
from keys.apikeys.cache import invalidate_key, key_cache
from keys.apikeys.cache_listener import clock as cache_clock
from keys.core.lookup import api_key_for_authentication
from keys.models import APIKey, KeyStatus
from keys.usage import recorder
from lib.conf import Snapshot
from lib.ratelimit import Window, hit
from lib.ratelimit_local import credential_hit

logger = logging.getLogger("keys.auth")
_conf = Snapshot("KEYS_PREFIX")  # read on every request


class Code(StrEnum):
    VALID = "VALID"
    MALFORMED = "MALFORMED"
    NOT_FOUND = "NOT_FOUND"
    REVOKED = "REVOKED"
    DISABLED = "DISABLED"
    EXPIRED = "EXPIRED"
    FORBIDDEN_IP = "FORBIDDEN_IP"
    RATE_LIMITED = "RATE_LIMITED"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"


@dataclass
class Check:
    code: Code
    key: APIKey | None = None
    key_id: str | None = None

    @property
    def valid(self) -> bool:
        return self.code is Code.VALID


def key_check(raw: str, *, ip: str | None, organization_id: int | None = None) -> Check:
    """Parse, look up (the key cache, else one indexed query joined with the organization) and judge a key.

    A malformed key costs no query; a cached one none either (keys.apikeys.cache: KEYS_CACHE). Every failure is counted per key id for anomaly detection, and
    its precise reason is logged; callers show one generic message.
    """
    parsed = tokens.split(raw, prefix=_conf.KEYS_PREFIX)
    if parsed is None:
        return Check(Code.MALFORMED)
    # The checksum only spares the database a mistyped key, and every stored digest is of a key
    # built with a valid one, so a key that matches its digest has a valid checksum. A cached key is
    # therefore judged by its digest first; the checksum is computed before a database read, and on
    # a cached key's failure, to answer MALFORMED exactly as before.
    key = key_cache.get(parsed.key_id)
    unchecked = key is not None
    if key is None:
        if not tokens.checksum_ok(raw):
            return Check(Code.MALFORMED)
        key = _load(parsed.key_id)
    if key is None or key.environment != parsed.environment:
        return _fail_unchecked(unchecked, raw) or _fail(Code.NOT_FOUND, parsed.key_id, ip, known=False)
    if organization_id is not None and key.organization_id != organization_id:
        # Another organization's key: indistinguishable from a key that does not exist.
        return _fail_unchecked(unchecked, raw) or _fail(Code.NOT_FOUND, parsed.key_id, ip, known=False)
    matches, needs_rehash = hashing.check(raw, key.secret_hash)
    if not matches:
        return _fail_unchecked(unchecked, raw) or _fail(Code.NOT_FOUND, parsed.key_id, ip, known=True)
    if needs_rehash:
        # The pepper was rotated since this key was last seen: move it to the newest pepper.
        key.secret_hash = hashing.make_hash(raw)
        APIKey.objects.filter(pk=key.pk).update(secret_hash=key.secret_hash)
        invalidate_key(key.pk)
    if key.status == KeyStatus.REVOKED:
        return _fail(Code.REVOKED, key.id, ip, key=key)
    if key.status == KeyStatus.DISABLED:
        return _fail(Code.DISABLED, key.id, ip, key=key)
    if key.is_expired():  # reads the clock only for a key that has an end
        return _fail(Code.EXPIRED, key.id, ip, key=key)
    if not key.allows_ip(ip):
        return _fail(Code.FORBIDDEN_IP, key.id, ip, key=key)
    recorder.record(key.id, ip, ok=True)
    return Check(Code.VALID, key, key.id)


def _load(key_id: str) -> APIKey | None:
    """The key from the database, stored in the key cache for the next requests."""
    token, read_at = key_cache.token(), cache_clock()
    key = api_key_for_authentication(key_id)
    if key is not None:
        key_cache.put(key, token, loaded_at=read_at)
    return key


def _fail_unchecked(unchecked: bool, raw: str) -> Check | None:
    """MALFORMED for a cached key's failure when the key's checksum is wrong (what parsing first would have said)."""
    if unchecked and not tokens.checksum_ok(raw):
        return Check(Code.MALFORMED)
    return None


def _fail(code: Code, key_id: str, ip: str | None, *, key: APIKey | None = None, known: bool = True) -> Check:
    logger.info("api key refused: code=%s key_id=%s ip=%s", code.value, key_id, ip)
    if known:
        # The reason lets the recorder note FORBIDDEN_IP attempts per source network (blocked-network alerts).
        recorder.record(key_id, ip, ok=False, reason=code.value)
    return Check(code, key, key_id)


def brute_force_window(*, ip: str | None, key_id: str | None) -> Window | None:
    """Count a failed attempt per client IP and per key id; return the exceeded window, if any.

    Only failures pay this round trip: a valid key never does.
    """
    exceeded = None
    if ip:
        window = hit(f"bf:ip:{ip}", settings.KEYS_FAILURES_PER_IP_PER_MINUTE)
        if not window.allowed:
            exceeded = window
    if key_id:
        window = hit(f"bf:key:{key_id}", settings.KEYS_FAILURES_PER_KEY_PER_MINUTE)
        if not window.allowed:
            exceeded = exceeded or window
    return exceeded


def rate_limit_window(key: APIKey) -> Window | None:
    """Count one request against the key's own limit; keys without a limit pay nothing."""
    if not key.rate_limit:
        return None
    return credential_hit(f"key:{key.id}", key.rate_limit)


@dataclass
class Verdict:
    """The answer of POST /api/v1/verify."""

    code: Code
    key: APIKey | None = None
    ratelimit: Window | None = None
    missing_scopes: list[str] | None = None

    @property
    def valid(self) -> bool:
        return self.code is Code.VALID


def key_verify(
    *, raw: str, organization_id: int, ip: str | None = None, scopes: list[str] | tuple[str, ...] = ()
) -> Verdict:
    """Judge a key on behalf of another service of the same organization.

    `ip` is the end client's address, checked against the key's allowed networks (a key with
    networks and no `ip` given is FORBIDDEN_IP). Keys of other organizations are NOT_FOUND.
    """
    check = key_check(raw, ip=ip, organization_id=organization_id)
    if not check.valid:
        return Verdict(check.code, check.key if check.code is not Code.NOT_FOUND else None)
    key = check.key
    assert key is not None
    window = rate_limit_window(key)
    if window is not None and not window.allowed:
        return Verdict(Code.RATE_LIMITED, key, window)
    missing = [s for s in scopes if not key.allows(s)]
    if missing:
        return Verdict(Code.INSUFFICIENT_SCOPE, key, window, missing)
    return Verdict(Code.VALID, key, window)
