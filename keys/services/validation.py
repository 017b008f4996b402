"""Moved to `keys.core.validation` (the credential core); this path stays for existing imports."""

from __future__ import annotations

from keys.core.validation import (
    MAX_METADATA_BYTES,
    MAX_NAME,
    MAX_NETWORKS,
    MAX_RATE_LIMIT,
    clean_expiry,
    clean_metadata,
    clean_name,
    clean_networks,
    clean_rate_limit,
    clean_scopes,
    require_subset,
)

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_NAME",
    "MAX_NETWORKS",
    "MAX_RATE_LIMIT",
    "clean_expiry",
    "clean_metadata",
    "clean_name",
    "clean_networks",
    "clean_rate_limit",
    "clean_scopes",
    "require_subset",
]
