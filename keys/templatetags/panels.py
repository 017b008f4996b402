"""`{% panels "slot" %}`: render the panels upper apps registered for a slot (keys/panels.py)."""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from keys.core.panels import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, slot: str) -> SafeString:
    """Each panel of `slot` whose context function returns a context, rendered with the page's request."""
    request = context.get("request")
    out = []
    for panel in panels_for(slot):
        extra = panel.context(context)
        if extra is None:
            continue
        out.append(get_template(panel.template).render(dict(extra), request))
    return mark_safe("".join(out))  # noqa: S308 - each part is a rendered (auto-escaped) template
