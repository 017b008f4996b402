"""Two real server processes on one PostgreSQL and one Redis: how long a revocation takes to reach the other.

Shared by the second-node test (keys/tests/test_second_node.py, which asserts the bound) and
bench/revocation_delay.py (which prints the distribution). Each node is gunicorn with one sync
worker on a free loopback port. For every key: warm it on both nodes, revoke it through node A's
management API, then ask node B with the key back to back until B refuses it. The delay is the
time from the key's `revoked_at` (inside the revoking transaction) to the send time of B's first
refusal, probed by a thread while A revokes; every acceptance by B of a request sent later than
`bound` after A's revoke response is counted as accepted after the bound.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IP = "127.0.0.1"
PROBE = "/api/v1/whoami"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((IP, 0))
        return int(sock.getsockname()[1])


class Node:
    """One server process and a keep-alive connection to it."""

    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.proc = proc
        self._conn: HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> int:
        return self.fetch(method, path, headers, body)[0]

    def fetch(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = HTTPConnection(IP, self.port, timeout=10)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (OSError, ConnectionError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


@contextmanager
def nodes(env: dict[str, str], count: int = 2, log_dir: Path | None = None) -> Iterator[list[Node]]:
    """Start `count` gunicorn processes (one sync worker each) with `env` until the block ends."""
    started: list[Node] = []
    logs = []
    try:
        for i in range(count):
            port = free_port()
            cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--chdir", str(ROOT)]
            cmd += ["--bind", f"{IP}:{port}", "--workers", "1", "--log-level", "warning"]
            log = open(log_dir / f"node-{i}.log", "w") if log_dir else subprocess.DEVNULL  # noqa: SIM115
            logs.append(log)
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            started.append(Node(port, proc))
        for node in started:
            _wait_ready(node)
        yield started
    finally:
        for node in started:
            node.close()
            node.proc.terminate()
        for node in started:
            try:
                node.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()
        for log in logs:
            if log is not subprocess.DEVNULL:
                log.close()  # type: ignore[union-attr]


def _wait_ready(node: Node, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if node.proc.poll() is not None:
            raise RuntimeError(f"server on port {node.port} exited with {node.proc.returncode}")
        try:
            node.request("GET", PROBE, {})
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {node.port} not ready within {seconds} s")


@dataclass
class Revocations:
    bound: float
    delays: list[float] = field(default_factory=list)  # seconds from the publish, one per key
    from_revoked_at: list[float] = field(default_factory=list)  # seconds from `revoked_at`, one per key
    accepted_after_bound: int = 0
    accepted_before_refusal: list[int] = field(default_factory=list)  # B's 200s after A's response, per key
    never_refused: int = 0

    def percentile(self, q: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.delays if values is None else values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "bound_s": self.bound,
            "keys": len(self.delays),
            "delays_ms": [round(d * 1000, 3) for d in self.delays],
            "from_revoked_at_ms": [round(d * 1000, 3) for d in self.from_revoked_at],
            "accepted_after_bound": self.accepted_after_bound,
            "never_refused": self.never_refused,
        }


def warm(node: Node, plaintext: str, times: int = 2) -> None:
    for _ in range(times):
        status = node.request("GET", PROBE, {"X-API-Key": plaintext})
        if status != 200:
            raise AssertionError(f"a live key got HTTP {status} from port {node.port}")


def settle(node: Node, plaintext: str) -> None:
    """Let a fresh process's cache listener subscribe (it starts on the first request), so it serves warm."""
    warm(node, plaintext, 1)
    time.sleep(0.5)


def _probe(b: Node, plaintext: str, go: threading.Event, seen: list[tuple[float, int]], limit: float) -> None:
    """Ask B with the key back to back, noting (wall-clock send time, status), until B refuses it."""
    probe = {"X-API-Key": plaintext}
    go.wait()
    deadline = time.time() + limit
    while True:
        sent = time.time()
        status = b.request("GET", PROBE, probe)
        seen.append((sent, status))
        if status != 200 or sent > deadline:
            return


class Published(threading.Thread):
    """Notes when each invalidation reaches Redis subscribers (the commit, as every node hears it)."""

    def __init__(self, redis_url: str, channel: str) -> None:
        super().__init__(daemon=True)
        import redis

        self.pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(channel)
        self.at: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            message = self.pubsub.get_message(timeout=0.05)
            if message is not None and message["type"] == "message":
                self.at.setdefault(message["data"].decode().removeprefix("k:"), time.time())
        self.pubsub.close()


def measure(
    a: Node, b: Node, keys: list[tuple[str, str]], manager: str, *, redis_url: str, channel: str, bound: float = 1.0
) -> Revocations:
    """Revoke each (key id, plaintext) through `a` while a thread probes `b`; see the module doc.

    The delay of a key is from the moment its invalidation was published (heard on the channel by
    this process, as by every node) to the send time of B's first refusal; `from_revoked_at` is from
    its `revoked_at` instead (set inside the revoking transaction: includes the revoke's own work).
    An acceptance after the bound is a
    200 from B to a request sent more than `bound` after A's revoke response.
    """
    result = Revocations(bound=bound)
    published = Published(redis_url, channel)
    published.start()
    settle(a, keys[0][1])
    settle(b, keys[0][1])
    management = {"Authorization": f"Bearer {manager}", "Content-Type": "application/json"}
    body = json.dumps({"reason": "second-node test"}).encode()
    for key_id, plaintext in keys:
        warm(a, plaintext)
        warm(b, plaintext)
        seen: list[tuple[float, int]] = []
        go = threading.Event()
        prober = threading.Thread(target=_probe, args=(b, plaintext, go, seen, bound + 2.0))
        prober.start()
        go.set()
        status, answer = a.fetch("POST", f"/api/v1/keys/{key_id}/revoke", management, body)
        confirmed = time.time()
        prober.join()
        if status != 200:
            raise AssertionError(f"revoking {key_id} through node A answered HTTP {status}: {answer[:200]!r}")
        revoked_at = datetime.fromisoformat(json.loads(answer)["revoked_at"]).timestamp()
        refused = [sent for sent, code in seen if code != 200]
        if not refused or seen[-1][1] != 401:
            result.never_refused += 1
            continue
        result.from_revoked_at.append(max(0.0, refused[0] - revoked_at))
        result.delays.append(max(0.0, refused[0] - published.at.get(key_id, revoked_at)))
        late = [sent for sent, code in seen if code == 200 and sent > confirmed + bound]
        result.accepted_after_bound += len(late)
        result.accepted_before_refusal.append(sum(1 for sent, code in seen if code == 200 and sent > confirmed))
    published.stop.set()
    published.join()
    return result
