"""An ASGI middleware: the WSGI middleware's behaviour for Starlette, FastAPI, Django ASGI and the rest.

    app = KeyhouseASGIMiddleware(app, kit, required_scopes=["orders:read"])

The credential lands in `scope["state"]["keyhouse.credential"]` (and `scope["keyhouse.credential"]`).
The kit's HTTP calls are blocking, so they run in a worker thread and never stall the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from keyhouse_client.gate import ENVIRON_KEY, MAX_WEBHOOK_BODY, Answer, Gate

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _reply(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class KeyhouseASGIMiddleware(Gate[ASGIApp]):
    """Wrap an ASGI app so every HTTP request needs a valid credential holding `required_scopes`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope.get("method", "GET"), scope.get("path", "/")
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
        if self.is_webhook(method, path):
            body = await self._body(receive)
            status = 413 if body is None else await asyncio.to_thread(self.kit.handle_webhook, headers, body)
            await _reply(send, status, [("Content-Length", "0")], b"")
            return
        client = scope.get("client")
        answer: Answer = await asyncio.to_thread(self.check, method, path, headers, client[0] if client else None)
        if answer.status:
            await _reply(send, answer.status, answer.headers, answer.body)
            return
        scope[ENVIRON_KEY] = answer.credential
        scope.setdefault("state", {})[ENVIRON_KEY] = answer.credential
        await self.app(scope, receive, send)

    @staticmethod
    async def _body(receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_WEBHOOK_BODY:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)
