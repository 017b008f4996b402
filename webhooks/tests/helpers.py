"""A real HTTP receiver on loopback, and running due deliveries in-process."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from webhooks import services

PORTS = range(18400, 18500)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hold: threading.Event | None = None  # the handler waits on it before answering (timeout tests)


class Receiver:
    """A threaded http.server that records every request and answers from a per-path script (default 200)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: dict[str, deque[Reply]] = defaultdict(deque)
        self.changed = threading.Condition()
        self.server = self._bind()
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _bind(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                queue = receiver.script[self.path]
                reply = queue.popleft() if queue else Reply()
                with receiver.changed:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver.changed.notify_all()
                if reply.hold is not None:
                    reply.hold.wait(10)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender stopped reading (response cap, timeout)
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        for port in PORTS:
            try:
                server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                continue
            server.daemon_threads = True
            return server
        raise RuntimeError("no free port in 18400-18499")

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def respond(self, *replies: Reply | int, path: str = "/hook") -> None:
        """Queue the next answers for `path` (ints are status codes); afterwards it answers 200."""
        for reply in replies:
            self.script[path].append(reply if isinstance(reply, Reply) else Reply(status=reply))

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A Receiver serving for the block, then shut down and its port released."""
    rx = Receiver()
    rx.thread.start()
    try:
        yield rx
    finally:
        rx.server.shutdown()
        rx.server.server_close()


def run_due() -> int:
    """Attempt every due delivery now, in this process (what the worker does for each queued task)."""
    return services.deliveries_run_due()


def pg_dump_text() -> str:
    """A data-only `pg_dump` of the current (test) database: what a leaked backup would hold."""
    from django.db import connection

    db = connection.settings_dict
    command = ["pg_dump", "--data-only", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", db["NAME"]]
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=True).stdout
