"""System checks for webhook configuration mistakes (registered in WebhooksConfig.ready)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from webhooks import crypto


def check_webhook_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    value = getattr(settings, "WEBHOOK_ENCRYPTION_KEYS", "")
    try:
        crypto.parse_keys(value)
    except ImproperlyConfigured as exc:
        problems.append(
            Error(
                str(exc),
                hint="Generate a key: python -c \"import base64, os; print('1:' + base64.urlsafe_b64encode(os.urandom(32)).decode())\"",
                id="webhooks.E001",
            )
        )
    else:
        if crypto.DEV_KEYS.split(":", 1)[1] in str(value) and not settings.DEBUG:
            problems.append(Error("WEBHOOK_ENCRYPTION_KEYS uses the development key.", id="webhooks.E002"))
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
