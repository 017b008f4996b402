"""Receivers for what keys/ announces without importing us (it is a floor below)."""

from __future__ import annotations

from typing import Any

from keys.models import APIKey
from monitoring.services.alerts import leak_alert_raise


def alert_on_leak(sender: Any, *, key: APIKey, source: str, url: str, action: str, **kwargs: Any) -> None:
    """A key reported leaked gets an alert on the team's alerts list (keys.apikeys.leaks.key_leaked)."""
    leak_alert_raise(key=key, source=source, url=url, action=action)
