"""The kinds registry: the one `Kind` description of each credential kind, by name.

Each kind package (`keys.apikeys.kind`, `keys.signing.kind`, `keys.certificates.kind`) builds its
`Kind` (`keys.core.lifecycle`) and registers it here, so the core never imports its kinds: the
generic portal views (`keys.core.views`), the hygiene report and the departure policy serve every
registered kind from its description. URL names and templates stay the kind's own.
"""

from __future__ import annotations

from typing import Any, TypeVar

from keys.core.lifecycle import Kind

__all__ = ["Kind", "kind_for", "kinds", "register"]

K = TypeVar("K", bound=Kind[Any])

_KINDS: dict[str, Kind[Any]] = {}


def register(kind: K) -> K:
    """Add `kind` (once per name; registering the same name again replaces it, e.g. on reload)."""
    _KINDS[kind.name] = kind
    return kind


def kind_for(name: str) -> Kind[Any]:
    """The kind registered as `name`; KeyError for an unknown one."""
    return _KINDS[name]


def kinds() -> list[Kind[Any]]:
    """Every registered kind, in the order they registered (API keys first: `keys.apps`)."""
    return list(_KINDS.values())
