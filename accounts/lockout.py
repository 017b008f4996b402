"""The login lockout policy (docs/accounts.md#lockout): short locks per account and address, a long one per account.

1. django-axes locks an **account from one address** (AXES_FAILURE_LIMIT failures, AXES_COOLOFF_MINUTES)
   and an **address** that fails against many accounts (password spraying), for the same short time.
   Failing on purpose from the attacker's address therefore locks only the attacker's address.
2. Here, a **per-account** limit that is larger and longer (LOGIN_ACCOUNT_FAILURE_LIMIT failures within
   LOGIN_ACCOUNT_WINDOW_MINUTES, from any address) stops a slow attack spread over many addresses. It
   does not apply from an address the account logged in from successfully within
   LOGIN_KNOWN_ADDRESS_DAYS, so the victim of such an attack still logs in from their own network.

Counts live in the cache (Redis in production, shared by every web node), keyed by a hash of the
email, never the email itself.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

ACCOUNT_LOCKED_MESSAGE = (
    "Too many failed attempts for this account from other addresses. Log in from a network you used "
    "before, try again later, or reset your password."
)


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The attempted login email, normalised, so case variants share one failure counter."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    # NUL cannot be stored in PostgreSQL text; axes records this value on every failure.
    return value.replace("\x00", "").strip().lower()[:255] if isinstance(value, str) else None


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _window_key(email: str) -> str:
    period = settings.LOGIN_ACCOUNT_WINDOW_MINUTES * 60
    return f"login:account-failures:{_account(email)}:{int(time.time() // period)}"


def _known_key(email: str, ip: str | None) -> str:
    return f"login:known-address:{_account(email)}:{ip or '-'}"


def account_locked(email: str, ip: str | None) -> bool:
    """Whether the per-account limit refuses this login attempt (never from an address known to work)."""
    if ip and cache.get(_known_key(email, ip)):
        return False
    return int(cache.get(_window_key(email)) or 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT


def failure_record(email: str) -> None:
    """Count one failed password for the account, whatever the address."""
    key = _window_key(email)
    timeout = settings.LOGIN_ACCOUNT_WINDOW_MINUTES * 60 + 1
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)


def success_record(email: str, ip: str | None) -> None:
    """Remember the address a login succeeded from, so the per-account limit never shuts it out."""
    if ip:
        cache.set(_known_key(email, ip), 1, timeout=settings.LOGIN_KNOWN_ADDRESS_DAYS * 86400)
