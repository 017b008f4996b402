"""JSON with a nesting limit: a body nested 1,000+ levels deep must be a 400, never a RecursionError 500.

The standard parser recurses once per level and raises RecursionError near Python's recursion limit;
below that, a very deep value can still blow the stack later (rendering, json.dumps in the audit
log). So parsing catches the RecursionError, and the parsed value is then measured iteratively
against MAX_DEPTH, which no real request of ours comes near.
"""

from __future__ import annotations

import json
from typing import Any

# Levels of arrays and objects one JSON document may nest (the top-level value is level 1).
MAX_DEPTH = 32


class JSONTooDeep(ValueError):
    """The document nests arrays and objects more than MAX_DEPTH levels deep."""


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests lists and dicts more than `limit` levels deep, without recursing."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def check_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """`value` itself, or JSONTooDeep when it nests too deeply."""
    if depth_exceeds(value, limit):
        raise JSONTooDeep(f"JSON may nest at most {limit} levels deep.")
    return value


def loads(data: str | bytes, *, limit: int = MAX_DEPTH) -> Any:
    """json.loads with the nesting limit: ValueError (JSONTooDeep) for a document nested too deeply."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JSONTooDeep(f"JSON may nest at most {limit} levels deep.") from None
    return check_depth(value, limit)
