"""A WSGI middleware: checks every request's credential, and receives the platform's webhooks.

    app = KeyhouseMiddleware(app, kit, required_scopes=["orders:read"])

The credential lands in `environ["keyhouse.credential"]`. POSTs to `webhook_path` are the platform's
deliveries (verified, then used to drop cached verdicts) and never reach the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from keyhouse_client.gate import ENVIRON_KEY, MAX_WEBHOOK_BODY, Gate

__all__ = ["ENVIRON_KEY", "MAX_WEBHOOK_BODY", "KeyhouseMiddleware"]
_REASONS = {204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {413: "Content Too Large", 503: "Service Unavailable"}

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Error')}"


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    return {key[5:].replace("_", "-"): value for key, value in environ.items() if key.startswith("HTTP_")}


class KeyhouseMiddleware(Gate[WSGIApp]):
    """Wrap a WSGI app so every request needs a valid credential holding `required_scopes`."""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if self.is_webhook(method, path):
            return self._webhook(environ, start_response)
        answer = self.check(method, path, _headers(environ), environ.get("REMOTE_ADDR"))
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
        start_response(_status(self.kit.handle_webhook(_headers(environ), body)), [("Content-Length", "0")])
        return [b""]
