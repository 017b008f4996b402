"""System checks for monitoring's settings (anomaly detection, expiry notices)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning


def check_monitoring_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if not 0 < settings.ANOMALY_EWMA_LAMBDA < 1:
        problems.append(Error("ANOMALY_EWMA_LAMBDA must be between 0 and 1 (exclusive).", id="monitoring.E001"))
    if settings.ANOMALY_SIGMA <= 0 or settings.ANOMALY_RATIO <= 1:
        problems.append(
            Error(
                "ANOMALY_SIGMA must be above 0 and ANOMALY_RATIO above 1, or every key would page.",
                id="monitoring.E002",
            )
        )
    if any(d <= 0 for d in settings.KEYS_EXPIRY_NOTICE_DAYS):
        problems.append(
            Error("KEYS_EXPIRY_NOTICE_DAYS are days before expiry: whole numbers above 0.", id="monitoring.E003")
        )
    elif not settings.KEYS_EXPIRY_NOTICE_DAYS:
        problems.append(
            Warning("KEYS_EXPIRY_NOTICE_DAYS is empty: nobody is told before credentials expire.", id="monitoring.W001")
        )
    return problems
