"""System checks for configuration mistakes in key handling."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from keys.apikeys import hashing, tokens


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
    try:
        from keys.leaks import github

        github.public_keys()
    except ImproperlyConfigured as exc:
        problems.append(Error(str(exc), hint="See docs/leaks.md.", id="keys.E020"))
    if not settings.DEBUG and not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: rate limits and brute-force counters are per process only.",
                hint="Set REDIS_URL in production.",
                id="keys.W001",
            )
        )
    return problems


_HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def check_signing_and_mtls_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The signature age window and the mTLS proxy settings (the encryption keyring is lib.E001/E002)."""
    problems: list[CheckMessage] = []
    if not 1 <= settings.SIGNATURE_MAX_AGE_SECONDS <= 3600 or not 0 <= settings.SIGNATURE_CLOCK_SKEW_SECONDS <= 300:
        problems.append(
            Error(
                "SIGNATURE_MAX_AGE_SECONDS must be 1-3600 and SIGNATURE_CLOCK_SKEW_SECONDS 0-300.",
                id="keys.E012",
            )
        )
    for cidr in settings.MTLS_TRUSTED_PROXIES:
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(Error(f"MTLS_TRUSTED_PROXIES: {cidr!r} is not a CIDR block.", id="keys.E013"))
            continue
        if network.prefixlen == 0:
            problems.append(
                Warning(
                    f"MTLS_TRUSTED_PROXIES contains {cidr}: anyone can claim any client certificate.",
                    hint="List only the addresses of your TLS-terminating proxies.",
                    id="keys.W010",
                )
            )
    if not _HEADER_RE.match(settings.MTLS_CLIENT_CERT_HEADER or ""):
        problems.append(
            Error(
                "MTLS_CLIENT_CERT_HEADER must be letters, digits and dashes (servers drop names with underscores).",
                id="keys.E014",
            )
        )
    return problems


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
