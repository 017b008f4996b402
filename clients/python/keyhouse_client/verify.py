"""API keys, checked by the platform's `POST /api/v1/verify`, with a short-lived bounded cache.

Only VALID answers are cached, for at most `ttl` seconds and never past the key's expiry, and never
for a key with its own rate limit (the platform must count every request against that limit). The
webhook receiver (`keyhouse_client.webhooks`) drops a key's entries as soon as it hears `key.revoked`,
`key.updated` and the other events that can make a key stop working; without webhooks a revoked key
is refused at most `ttl` seconds later.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import httpx

from keyhouse_client import scopes as scope_rules
from keyhouse_client.cache import TTLCache
from keyhouse_client.credential import AuthenticationFailed, Credential, PlatformUnavailable
from keyhouse_client.jsonobject import json_object

# The key format (docs/api-keys.md): `{prefix}_{env}_{id:8}{secret:32}{check:6}`, the check being the
# base62 CRC32 of the rest. A key that is not well formed never reaches the platform. (Restated here, not
# imported: the kit must not depend on the platform's code; a test keeps the two in step.)
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]{0,15}_(live|test)_[0-9A-Za-z]{46}")
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MAX_KEY_LENGTH = 200


def well_formed(key: str) -> bool:
    """The key's shape and checksum are right (a typo or a truncated key is refused for free)."""
    if len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.fullmatch(key):
        return False
    number, chars = zlib.crc32(key[:-6].encode("ascii")), []
    while number:
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return hmac.compare_digest("".join(reversed(chars)).rjust(6, "0"), key[-6:])


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class SharedInvalidations(Protocol):
    """Where every process of a service records invalidations, so a webhook heard by one reaches all.

    A process keeps its own cache; with several worker processes only one of them receives a given
    delivery. With a shared store (Redis, Memcached: `keyhouse_client.django_settings.CacheInvalidations`)
    each cache hit also asks whether its key was invalidated since the verdict was fetched.
    """

    def mark(self, key_id: str, at: float, ttl: float) -> None: ...

    def marked_at(self, key_id: str) -> float | None: ...


class KeyVerifier:
    """Check API keys remotely. `api_key` is this service's own key, with the `keys:verify` scope."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        ttl: float = 5.0,
        maxsize: int = 10_000,
        timeout: float = 2.0,
        levels: Mapping[str, tuple[str, ...]] = scope_rules.LEVELS,
        client: httpx.Client | None = None,
        shared: SharedInvalidations | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.levels = levels
        self.shared = shared
        # The value is the credential and when (wall clock) the platform vouched for it.
        self.cache: TTLCache[tuple[Credential, float]] = TTLCache(ttl=ttl, maxsize=maxsize)
        self._http = client or httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def verify(self, key: str, *, ip: str | None = None) -> Credential:
        """The key's credential, or AuthenticationFailed (PlatformUnavailable when the platform cannot say)."""
        if not well_formed(key):
            raise AuthenticationFailed("malformed key", code="MALFORMED")
        # The end client's address is part of the answer when the key has allowed networks.
        entry = hashlib.sha256(f"{key}\x00{ip or ''}".encode()).hexdigest()
        cached = self.cache.get(entry)
        if cached is not None:
            credential, fetched = cached
            marked = self.shared.marked_at(credential.id) if self.shared is not None else None
            if marked is None or marked < fetched:
                return credential
            self.cache.invalidate(credential.id)
        fetched = time.time()
        body = self._ask(key, ip)
        if not body.get("valid"):
            raise AuthenticationFailed(f"platform says {body.get('code')}", code=str(body.get("code") or "INVALID"))
        credential = Credential(
            id=str(body["key_id"]),
            kind="api_key",
            organization=body.get("organization"),
            scopes=tuple(body.get("scopes") or ()),
            expires_at=_parse_time(body.get("expires_at")),
            environment=body.get("environment"),
            levels=self.levels,
            raw=body,
        )
        if body.get("ratelimit") is None:
            ttl = self.cache.ttl
            if credential.expires_at is not None:
                ttl = min(ttl, credential.expires_at.timestamp() - time.time())
            self.cache.set(entry, (credential, fetched), tag=credential.id, ttl=ttl)
        return credential

    def invalidate(self, key_id: str) -> int:
        """Forget every cached answer for the key `key_id` (the webhook receiver calls this), in every
        process when there is a shared store."""
        if self.shared is not None:
            # Kept as long as any process may still hold a verdict fetched before now.
            self.shared.mark(key_id, time.time(), self.cache.ttl + 1)
        return self.cache.invalidate(key_id)

    def _ask(self, key: str, ip: str | None) -> dict[str, Any]:
        try:
            response = self._http.post(
                f"{self.base_url}/api/v1/verify", json={"key": key, "ip": ip}, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"verify failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            # 401/403 mean this service's own key is wrong; 429 and 5xx that the platform is busy.
            raise PlatformUnavailable(f"verify answered {response.status_code}")
        try:
            return json_object(response.content)
        except ValueError as exc:
            raise PlatformUnavailable(f"verify answered something that is not a JSON object: {exc}") from exc
