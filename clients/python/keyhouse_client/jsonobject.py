"""What the kit reads from the platform (a verify answer, a webhook body, a token's claims) is one JSON object."""

from __future__ import annotations

import json
from typing import Any


def json_object(data: bytes) -> dict[str, Any]:
    """`data` parsed as JSON; ValueError (its message says what it is instead) unless it is an object."""
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value
