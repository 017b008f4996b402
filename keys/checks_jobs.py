"""System checks for scheduled rotation's settings. (Anomaly detection and expiry notices: monitoring/checks.py.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning


def check_job_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.KEYS_ROTATION_ALLOW_MINUTES and not settings.DEBUG:
        problems.append(
            Warning(
                "KEYS_ROTATION_ALLOW_MINUTES is on in production: keys may be rotated every minute.",
                hint="It exists so a rotation can be watched in development; unset it.",
                id="keys.W021",
            )
        )
    return problems
