"""Page panels: how apps above keys/ show their own cards on credential pages without keys importing them.

An upper app (monitoring, say) registers a panel in its `AppConfig.ready()`:

    register_panel("key.main", "monitoring/_usage_chart.html", usage_chart_context)

and a keys template renders every panel of a slot with `{% load panels %}{% panels "key.main" %}`.
The context function gets the page's template context and returns the panel's own context, or
`None` to show nothing (a panel that does not apply to this page or user).

Slots: `page.banner` (every portal page, above the content), `dashboard.stats` (team dashboard,
the stat row), `key.top` (API key page, above the columns), `key.main` (API key page, main
column, first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template import Context

ContextFn = Callable[[Context], Mapping[str, Any] | None]

SLOTS = frozenset({"page.banner", "dashboard.stats", "key.top", "key.main"})


@dataclass(frozen=True)
class Panel:
    """One template an app hangs into one slot of a page."""

    slot: str
    template: str
    context: ContextFn
    order: int = 100


_panels: dict[str, list[Panel]] = {}


def register_panel(slot: str, template: str, context: ContextFn, *, order: int = 100) -> Panel:
    """Add a panel to `slot` (one of SLOTS). Registering the same template twice in a slot replaces it,
    so a second `ready()` (tests, autoreload) never shows a panel twice."""
    if slot not in SLOTS:
        raise ValueError(f"Unknown panel slot {slot!r}; one of {sorted(SLOTS)}.")
    panel = Panel(slot=slot, template=template, context=context, order=order)
    others = [p for p in _panels.get(slot, []) if p.template != template]
    _panels[slot] = sorted([*others, panel], key=lambda p: (p.order, p.template))
    return panel


def panels_for(slot: str) -> list[Panel]:
    """The panels of `slot`, in display order."""
    return list(_panels.get(slot, []))
