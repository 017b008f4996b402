"""The envelope both scanners send: a JSON array of objects, bounded by KEYS_SCANNER_MAX_TOKENS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from lib import jsonlimit


def json_array(body: bytes, *, noun: str, shape: str) -> list[Any]:
    """The body's entries; a ValidationError that names the `noun` ("report", "request") and its `shape`."""
    try:
        data = jsonlimit.loads(body)
    except ValueError:
        raise ValidationError(f"The {noun} is not JSON.") from None
    if not isinstance(data, list):
        raise ValidationError(f"The {noun} is a JSON array of {shape}.")
    if len(data) > settings.KEYS_SCANNER_MAX_TOKENS:
        raise ValidationError(f"A {noun} carries at most {settings.KEYS_SCANNER_MAX_TOKENS} tokens.")
    return data
