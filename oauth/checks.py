"""System checks for the OAuth provider's configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured


def check_oauth_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from oauth.jwks import load_private_key

    problems: list[CheckMessage] = []
    if not settings.OIDC_RSA_PRIVATE_KEY:
        problems.append(
            Error(
                "OIDC_RSA_PRIVATE_KEY is not set: ID tokens and JWT access tokens cannot be signed.",
                hint="Run `python manage.py generate_oidc_key --out /run/secrets/oidc.pem` and set "
                "OIDC_RSA_PRIVATE_KEY_FILE to that path (docs/oauth.md).",
                id="oauth.E001",
            )
        )
    else:
        for pem in [settings.OIDC_RSA_PRIVATE_KEY, *settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]:
            try:
                load_private_key(pem)
            except ImproperlyConfigured as exc:
                problems.append(Error(str(exc), id="oauth.E002"))
    if settings.OIDC_DEV_KEY and not settings.DEBUG:
        problems.append(Error("The development OIDC key is in use with DEBUG off.", id="oauth.E003"))
    if settings.OAUTH_ACCESS_TOKEN_FORMAT not in ("jwt", "opaque"):
        problems.append(Error("OAUTH_ACCESS_TOKEN_FORMAT must be 'jwt' or 'opaque'.", id="oauth.E004"))
    return problems
