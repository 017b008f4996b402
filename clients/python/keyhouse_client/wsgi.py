"""A WSGI middleware: checks every request's credential, and receives the platform's webhooks.

    app = KeyhouseMiddleware(app, kit, required_scopes=["orders:read"])

The credential lands in `environ["keyhouse.credential"]`. POSTs to `webhook_path` are the platform's
deliveries (verified, then used to drop cached verdicts) and never reach the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from keyhouse_client.gate import ScopeRule, decide
from keyhouse_client.kit import Keyhouse

ENVIRON_KEY = "keyhouse.credential"
MAX_WEBHOOK_BODY = 1024 * 1024
_REASONS = {204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {413: "Content Too Large", 503: "Service Unavailable"}

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Error')}"


class KeyhouseMiddleware:
    """Wrap a WSGI app so every request needs a valid credential holding `required_scopes`."""

    def __init__(
        self,
        app: WSGIApp,
        kit: Keyhouse,
        *,
        required_scopes: ScopeRule | None = None,
        webhook_path: str | None = "/keyhouse/webhooks",
        optional: bool = False,
    ) -> None:
        self.app, self.kit, self.required = app, kit, required_scopes
        self.webhook_path, self.optional = webhook_path, optional

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if self.webhook_path and path == self.webhook_path and method == "POST":
            return self._webhook(environ, start_response)
        headers = {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}
        answer = decide(
            self.kit,
            method=method,
            path=path,
            headers=headers,
            ip=environ.get("REMOTE_ADDR"),
            required=self.required,
            optional=self.optional,
        )
        if answer.status:
            start_response(_status(answer.status), answer.headers)
            return [answer.body]
        environ[ENVIRON_KEY] = answer.credential
        return self.app(environ, start_response)

    def _webhook(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_WEBHOOK_BODY:
            start_response(_status(413 if length > 0 else 400), [("Content-Length", "0")])
            return [b""]
        body = environ["wsgi.input"].read(length)
        headers = {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}
        start_response(_status(self.kit.handle_webhook(headers, body)), [("Content-Length", "0")])
        return [b""]
