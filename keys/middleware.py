"""Response headers that describe the credential used: rate-limit window and roll deprecation."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date


class CredentialHeadersMiddleware:
    """Adds `RateLimit-*` and, for a key in its roll grace period, `Deprecation` and `Sunset` (RFC 9745, 8594)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        window = getattr(request, "ratelimit", None)
        if window is not None:
            for header, value in window.headers().items():
                response.setdefault(header, value)
        credential = getattr(request, "credential", None)
        grace_until = getattr(credential, "grace_until", None)
        if grace_until is not None:
            rolled_at = getattr(credential, "rolled_at", None) or grace_until
            response["Deprecation"] = f"@{int(rolled_at.timestamp())}"
            response["Sunset"] = http_date(grace_until.timestamp())
        return response
