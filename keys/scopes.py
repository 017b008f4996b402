"""The scope registry: every `resource:action` string that API keys, OAuth apps and JWTs may carry.

Levels within a resource are ordered, and a higher level implies the lower ones (`orders:write`
implies `orders:read`). Extras are standalone scopes of a resource (`keys:verify`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings


@dataclass(frozen=True)
class Resource:
    name: str
    label: str
    levels: tuple[str, ...] = ("read", "write")
    extras: tuple[str, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def scope(self, action: str) -> str:
        return f"{self.name}:{action}"


_PLATFORM_RESOURCES = (
    Resource(
        "keys",
        "API keys",
        levels=("read", "manage"),
        extras=("verify",),
        descriptions={
            "read": "List and read API keys (never their secrets)",
            "manage": "Create, update, roll and revoke API keys",
            "verify": "Verify other keys through POST /api/v1/verify",
        },
    ),
    Resource(
        "webhooks",
        "Webhooks",
        descriptions={
            "read": "List webhook endpoints, delivery logs and event types (never signing secrets)",
            "write": "Create, change and delete webhook endpoints; reveal and rotate their signing secrets; retry deliveries",
        },
    ),
)


@cache
def resources() -> tuple[Resource, ...]:
    extra = tuple(
        Resource(
            name,
            name.replace("_", " ").capitalize(),
            descriptions={
                "read": f"Read {name.replace('_', ' ')}",
                "write": f"Create and change {name.replace('_', ' ')}",
            },
        )
        for name in settings.API_RESOURCES
    )
    return _PLATFORM_RESOURCES + extra


@cache
def all_scopes() -> dict[str, str]:
    """Every known scope with its description, in display order."""
    out: dict[str, str] = {}
    for res in resources():
        for action in res.levels + res.extras:
            out[res.scope(action)] = res.descriptions.get(action, f"{action.capitalize()} {res.label.lower()}")
    return out


@cache
def _implied() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for res in resources():
        for i, level in enumerate(res.levels):
            table[res.scope(level)] = frozenset(res.scope(lower) for lower in res.levels[: i + 1])
        for extra in res.extras:
            table[res.scope(extra)] = frozenset({res.scope(extra)})
    return table


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes granted, with the lower levels that each one implies."""
    table = _implied()
    out: set[str] = set()
    for scope in scopes:
        out |= table.get(scope, frozenset())
    return frozenset(out)


def unknown(scopes: Iterable[str]) -> list[str]:
    known = all_scopes()
    return sorted({s for s in scopes if s not in known})


def normalize(scopes: Iterable[str]) -> list[str]:
    """The smallest list that grants the same: implied lower levels are dropped, order is the registry's."""
    chosen = set(scopes)
    implied_by_others: set[str] = set()
    for scope in chosen:
        implied_by_others |= _implied().get(scope, frozenset()) - {scope}
    keep = chosen - implied_by_others
    return [s for s in all_scopes() if s in keep]


def describe(scopes: Iterable[str]) -> list[tuple[str, str]]:
    descriptions = all_scopes()
    return [(s, descriptions.get(s, s)) for s in normalize(scopes)]
