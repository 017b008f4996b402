"""Hooks for django-axes, which locks out repeated failed logins per IP and per account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The attempted login email, normalised, so case variants share one failure counter."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    # NUL cannot be stored in PostgreSQL text; axes records this value on every failure.
    return value.replace("\x00", "").strip().lower()[:255] if isinstance(value, str) else None
