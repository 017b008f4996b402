"""The platform's scope rule, without the platform: `resource:level`, where a higher level implies the lower.

Keyhouse orders the levels of every resource `read` < `write`, except `keys` (`read` < `manage`);
other actions (`keys:verify`) stand alone. A service with its own resources passes its own table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

DEFAULT_LEVELS: tuple[str, ...] = ("read", "write")
LEVELS: Mapping[str, tuple[str, ...]] = MappingProxyType({"keys": ("read", "manage")})


def expand(granted: Iterable[str], levels: Mapping[str, tuple[str, ...]] = LEVELS) -> frozenset[str]:
    """The scopes granted, with the lower levels that each one implies."""
    out: set[str] = set()
    for scope in granted:
        out.add(scope)
        resource, _, action = scope.partition(":")
        order = levels.get(resource, DEFAULT_LEVELS)
        if action in order:
            out.update(f"{resource}:{lower}" for lower in order[: order.index(action)])
    return frozenset(out)


def missing(
    granted: Iterable[str], required: Iterable[str], levels: Mapping[str, tuple[str, ...]] = LEVELS
) -> list[str]:
    """The required scopes that `granted` does not hold, in the order they were asked for."""
    held = expand(granted, levels)
    return [scope for scope in required if scope not in held]


def declared_for(
    declared: Sequence[str] | Mapping[str, Sequence[str]], *, action: str | None, method: str
) -> list[str]:
    """The scopes one request needs, from a view's `required_scopes` as the platform reads it: a list (every
    request), or a dict keyed by ViewSet action or HTTP method, where the action's entry comes first."""
    if not isinstance(declared, dict):
        return list(declared)
    key = action if action in declared else method
    return list(declared.get(key) or [])
