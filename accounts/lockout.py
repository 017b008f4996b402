"""Hooks for django-axes, which locks out repeated failed logins per IP and per account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The attempted login email, normalised, so case variants share one failure counter."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") if source else None
    return value.strip().lower() if isinstance(value, str) else None
