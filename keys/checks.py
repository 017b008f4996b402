"""System checks for configuration mistakes in key handling."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from keys import hashing, tokens


def check_key_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    try:
        tokens.validate_prefix(settings.KEYS_PREFIX)
    except ValueError as exc:
        problems.append(Error(str(exc), id="keys.E001"))
    try:
        hashing.peppers()
    except ImproperlyConfigured as exc:
        problems.append(Error(str(exc), id="keys.E002"))
    else:
        if "dev-only" in settings.KEYS_PEPPERS and not settings.DEBUG:
            problems.append(Error("KEYS_PEPPERS uses the development pepper.", id="keys.E003"))
    if not settings.DEBUG and not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: rate limits and brute-force counters are per process only.",
                hint="Set REDIS_URL in production.",
                id="keys.W001",
            )
        )
    return problems
