"""System checks for webhook configuration mistakes (registered in WebhooksConfig.ready).

The encryption keyring has its own check, lib.crypto.check_keyring (lib.E001, lib.E002).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning


def check_webhook_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    for cidr in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", []):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(Error(f"WEBHOOK_ALLOWED_NETWORKS has an invalid CIDR block: {cidr!r}.", id="webhooks.E003"))
    if getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False) and not settings.DEBUG:
        problems.append(
            Warning(
                "WEBHOOK_ALLOW_LOOPBACK is on: webhook deliveries may reach services on this machine.",
                hint="Turn it off in production.",
                id="webhooks.W001",
            )
        )
    return problems
