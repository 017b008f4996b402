"""What the WSGI and ASGI middlewares share: their settings, and the decision to let a request through or
answer 401, 403 or 503. Each middleware only translates its protocol to and from these."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from keyhouse_client.credential import AuthenticationFailed, Credential, PlatformUnavailable
from keyhouse_client.kit import Keyhouse

log = logging.getLogger("keyhouse_client")

# Scopes a request needs: a fixed list, or chosen per (method, path).
ScopeRule = list[str] | Callable[[str, str], list[str]]
MESSAGE_401 = "Missing or invalid credential."
App = TypeVar("App")
# Where the middlewares put the credential (WSGI environ / ASGI scope and scope["state"]).
ENVIRON_KEY = "keyhouse.credential"
# The largest webhook delivery accepted (a bigger one is answered 413, unread).
MAX_WEBHOOK_BODY = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """Either a credential to pass on (status 0) or a complete JSON error response."""

    status: int
    credential: Credential | None = None
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def error(status: int, code: str, message: str, detail: object = None, **extra: str) -> Answer:
    body = json.dumps({"error": {"code": code, "message": message, "detail": detail}}).encode()
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *extra.items()]
    return Answer(status, None, body, headers)


def decide(
    kit: Keyhouse,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    ip: str | None,
    required: ScopeRule | None,
    optional: bool = False,
) -> Answer:
    """Check the request's credential and scopes. `optional=True` lets requests without one through."""
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization, x_api_key = lowered.get("authorization"), lowered.get("x-api-key")
    if optional and not authorization and not x_api_key:
        return Answer(0)
    try:
        credential = kit.authenticate(authorization, x_api_key, ip=ip)
    except AuthenticationFailed as exc:
        # One message for every reason (DESIGN 6); the reason goes to the log only.
        log.info("keyhouse: refused credential: %s", exc.reason)
        return error(401, "authentication_failed", MESSAGE_401, **{"WWW-Authenticate": 'Bearer realm="api"'})
    except PlatformUnavailable as exc:
        log.warning("keyhouse: platform unavailable: %s", exc)
        return error(
            503, "verification_unavailable", "Credentials cannot be checked right now.", **{"Retry-After": "1"}
        )
    scopes = required(method, path) if callable(required) else list(required or [])
    absent = credential.missing(scopes)
    if absent:
        return error(
            403,
            "insufficient_scope",
            f"This credential lacks the required scope: {', '.join(absent)}.",
            {"missing_scopes": absent},
            **{"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(absent)}"'},
        )
    return Answer(0, credential)


class Gate(Generic[App]):
    """The settings of a middleware: the app it wraps, the kit, the scopes it needs, its webhook path."""

    def __init__(
        self,
        app: App,
        kit: Keyhouse,
        *,
        required_scopes: ScopeRule | None = None,
        webhook_path: str | None = "/keyhouse/webhooks",
        optional: bool = False,
    ) -> None:
        self.app, self.kit, self.required = app, kit, required_scopes
        self.webhook_path, self.optional = webhook_path, optional

    def is_webhook(self, method: str, path: str) -> bool:
        """A POST to the webhook path: the platform's delivery, for the kit and never for the app."""
        return bool(self.webhook_path) and path == self.webhook_path and method == "POST"

    def check(self, method: str, path: str, headers: Mapping[str, str], ip: str | None) -> Answer:
        return decide(
            self.kit, method=method, path=path, headers=headers, ip=ip, required=self.required, optional=self.optional
        )
