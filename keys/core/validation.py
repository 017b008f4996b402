"""Input rules shared by every path that creates or changes a key (portal, API, command)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from keys import scopes as scope_registry

MAX_NAME = 100
MAX_NETWORKS = 50
MAX_RATE_LIMIT = 1_000_000
MAX_METADATA_BYTES = 2048


def clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the key a name."})
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"Names are at most {MAX_NAME} characters; this one has {len(name)}."})
    return name


def clean_scopes(scopes: Any) -> list[str]:
    if not isinstance(scopes, (list, tuple, set, frozenset)) or not all(isinstance(s, str) for s in scopes):
        raise ValidationError({"scopes": "Scopes must be a list of strings."})
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    bad = scope_registry.unknown(scopes)
    if bad:
        raise ValidationError({"scopes": f"Unknown scope(s): {', '.join(bad)}."})
    return scope_registry.normalize(scopes)


def clean_networks(networks: Any) -> list[str]:
    if networks is None:
        return []
    if isinstance(networks, str):
        networks = [part for part in networks.replace(",", "\n").split() if part]
    if not isinstance(networks, (list, tuple)) or not all(isinstance(n, str) for n in networks):
        raise ValidationError({"allowed_networks": "Allowed networks must be a list of CIDR blocks."})
    if len(networks) > MAX_NETWORKS:
        raise ValidationError({"allowed_networks": f"At most {MAX_NETWORKS} networks."})
    out: list[str] = []
    bad: list[str] = []  # every bad entry, not just the first: the form shows them all at once
    for number, cidr in enumerate(networks, start=1):
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            bad.append(f"Line {number}: {cidr[:60]!r} is not an IPv4 or IPv6 CIDR block.")
            continue
        if str(network) not in out:
            out.append(str(network))
    if bad:
        raise ValidationError({"allowed_networks": bad})
    return out


def clean_rate_limit(rate_limit: Any) -> int | None:
    if rate_limit in (None, ""):
        return None
    if isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or not 1 <= rate_limit <= MAX_RATE_LIMIT:
        raise ValidationError(
            {"rate_limit": f"The rate limit is a whole number of requests per minute, 1 to {MAX_RATE_LIMIT}."}
        )
    return rate_limit


def clean_expiry(expires_at: Any, *, now: datetime | None = None) -> datetime | None:
    """A future expiry, or None. The team's lifetime and live-expiry policies are `keys.policies.rules`,
    applied by the authorization rule with the caller's other grants."""
    now = now or timezone.now()
    if expires_at is not None and not isinstance(expires_at, datetime):
        raise ValidationError({"expires_at": "The expiry must be a date and time."})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    return expires_at


def clean_expiry_within(expires_at: Any, *, limit: datetime) -> datetime:
    """The chosen expiry or `limit` (e.g. a certificate's own end), whichever comes first; a future one."""
    if expires_at is not None and not isinstance(expires_at, datetime):
        raise ValidationError({"expires_at": "The expiry must be a date and time."})
    cleaned = clean_expiry(limit if expires_at is None else min(expires_at, limit))
    assert cleaned is not None
    return cleaned


def clean_metadata(metadata: Any) -> dict[str, Any]:
    if metadata in (None, ""):
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": "Metadata must be a JSON object."})
    encoded = json.dumps(metadata)
    if "\\u0000" in encoded:
        raise ValidationError({"metadata": "Metadata cannot contain NUL characters."})
    if len(encoded) > MAX_METADATA_BYTES:
        raise ValidationError({"metadata": f"Metadata is at most {MAX_METADATA_BYTES} bytes of JSON."})
    return metadata


def require_subset(requested: Iterable[str], allowed: frozenset[str], *, field: str = "scopes", message: str) -> None:
    beyond = sorted(scope_registry.expand(requested) - allowed)
    if beyond:
        raise ValidationError({field: f"{message}: {', '.join(beyond)}."})
