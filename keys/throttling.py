"""Per-credential rate limits (DESIGN 6)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from lib.ratelimit import Window
from lib.ratelimit_local import credential_hit


class CredentialRateThrottle(BaseThrottle):
    """Enforce the credential's own `rate_limit` (requests per minute) across every node.

    Credentials without a limit pay nothing; those with one are counted locally and reconciled with
    Redis in the background, with a round trip only near the limit (lib.ratelimit_local).
    The window is exposed as `RateLimit-*` headers on every response, and 429s carry `Retry-After`.
    """

    def __init__(self) -> None:
        self.window: Window | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        credential: Any = request.auth
        limit = getattr(credential, "rate_limit", None)
        if not limit:
            return True
        self.window = credential_hit(f"{credential.kind}:{credential.id}", limit)
        request._request.ratelimit = self.window  # type: ignore[attr-defined]
        return self.window.allowed

    def wait(self) -> float | None:
        return float(self.window.reset) if self.window else None


class VerifyRateThrottle(SimpleRateThrottle):
    """Caps how often one credential may call POST /api/v1/verify (`VERIFY_RATE`)."""

    scope = "verify"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        credential: Any = request.auth
        if credential is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{credential.kind}:{credential.id}"}
