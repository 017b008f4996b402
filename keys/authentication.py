"""DRF authentication for API keys (DESIGN 6): what the company's API imports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from audit.services import client_ip
from keys.principal import CredentialUser
from keys.services.verification import Code, brute_force_window, key_check

FAILED_MESSAGE = "Invalid or inactive API key."


class TooManyFailures(exceptions.Throttled):
    """429 after too many failed attempts from one IP or against one key id."""

    error_code = "too_many_failures"


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`, or None when neither carries ours.

    A Bearer token that does not start with our prefix is left for other schemes (OAuth access
    tokens). Anything looser than the exact forms (a leading space, another keyword) is not ours.
    """
    meta = request.META
    header = meta.get("HTTP_X_API_KEY")
    if header is not None:
        return header
    auth = meta.get("HTTP_AUTHORIZATION")
    if not auth:
        return None
    scheme, sep, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not sep:
        return None
    if not token.startswith(f"{settings.KEYS_PREFIX}_"):
        return None
    return token


class APIKeyAuthentication(BaseAuthentication):
    """Authenticate `Authorization: Bearer <key>` or `X-API-Key: <key>` against stored API keys."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[CredentialUser, Any] | None:
        raw = presented_key(request)
        if raw is None:
            return None
        ip = client_ip(request)
        check = key_check(raw, ip=ip)
        if check.code is not Code.VALID:
            exceeded = brute_force_window(ip=ip, key_id=check.key_id)
            if exceeded is not None:
                exc = TooManyFailures(wait=exceeded.reset)
                exc.extra_headers = exceeded.headers()  # type: ignore[attr-defined]
                raise exc
            raise exceptions.AuthenticationFailed(FAILED_MESSAGE)
        key = check.key
        assert key is not None
        # The middleware adds Deprecation/Sunset (and rate-limit) headers from this.
        request._request.credential = key  # type: ignore[attr-defined]
        return CredentialUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
