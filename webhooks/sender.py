"""The outbound HTTP client for deliveries: httpx over a guarded connection backend.

Security and reliability rules live here, in one place:
- the SSRF guard runs at connect time, on the address the socket is about to use, after DNS
  resolution (so DNS rebinding and hostnames that point inside are refused, not just IP literals);
- one deadline covers DNS, connect, TLS, sending and reading (connect 5 s, total 15 s by default);
- at most WEBHOOK_MAX_RESPONSE_BYTES of the response are read; redirects are never followed;
  proxies from the environment are ignored (a proxy would connect on our behalf, unguarded).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import httpcore
import httpx
from django.conf import settings

from webhooks.addresses import IPAddress, address_allowed, address_decision

logger = logging.getLogger("webhooks.delivery")


class AddressRefused(httpx.ConnectError):
    """Every address the host resolves to is denied by webhooks.addresses (private, loopback, metadata, …)."""


def host_refusal(host: str) -> str | None:
    """A reason to refuse a URL host before any connection (IP literals and `localhost`), or None.

    This only gives early, friendly errors; the real guard runs at connect time.
    """
    bare = host.strip("[]").lower().rstrip(".")
    if bare == "localhost" or bare.endswith(".localhost"):
        return None if getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False) else "loopback addresses are not allowed"
    try:
        ip = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None
    decision = address_decision(ip)
    return None if decision.allowed else f"private, loopback and internal addresses are not allowed ({decision.reason})"


class _Deadline:
    def __init__(self, total: float) -> None:
        self.total = total
        self.ends = time.monotonic() + total

    def clamp(self, timeout: float | None, exc: type[Exception]) -> float:
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise exc(f"timed out after {self.total:g} s")
        return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write shares the request's one deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        # SNI and certificate checks use the URL's host name, not the vetted IP we connected to.
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses internal addresses, and connects only to a vetted IP literal."""

    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if not 0 < port < 65536:
            # Port 0 means "any port" to some stacks; no receiver listens there.
            raise AddressRefused(f"refused to connect to {host}: port {port} is not allowed")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"could not resolve {host}: {exc}") from exc
        candidates: list[IPAddress] = []
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if ip not in candidates:
                candidates.append(ip)
        allowed = [ip for ip in candidates if address_allowed(ip)]
        if not allowed:
            shown = ", ".join(str(ip) for ip in candidates)
            raise AddressRefused(f"refused to connect to {host} ({shown}): private or internal address")
        last: Exception | None = None
        for ip in allowed:
            try:
                # Connecting to the IP literal means no second DNS lookup can swap the address.
                stream = super().connect_tcp(
                    str(ip), port, self._deadline.clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        assert last is not None
        raise last


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """Re-raise httpcore's exceptions as httpx's classes of the same name (httpx does this in its own transport)."""
    try:
        yield
    except httpx.HTTPError:
        raise
    except httpcore.TimeoutException as exc:
        raise getattr(httpx, type(exc).__name__, httpx.TimeoutException)(str(exc)) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        raise getattr(httpx, type(exc).__name__, httpx.TransportError)(str(exc)) from exc


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            closer()


@lru_cache(maxsize=1)
def _ssl_context() -> Any:
    """One verifying TLS context per process: building one loads the CA bundle, about 56 ms, which
    capped one worker at about 12 deliveries a second (bench/webhook_delivery.py). A context holds
    no per-connection state, so every delivery can use the same one."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport on a fresh httpcore pool whose connections go through GuardedBackend."""

    def __init__(self, *, deadline: _Deadline) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=1,
            http1=True,
            http2=False,
            retries=0,
            network_backend=GuardedBackend(deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@dataclass(frozen=True)
class SendResult:
    """What one delivery attempt got back. `status_code` is None when no response arrived (see `error`)."""

    status_code: int | None
    body: str
    error: str
    retry_after: float | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def send(*, url: str, headers: dict[str, str], body: bytes) -> SendResult:
    """POST `body` to `url` once, under the guard, the deadline and the read cap. Never raises for network trouble."""
    connect_timeout = float(getattr(settings, "WEBHOOK_CONNECT_TIMEOUT", 5.0))
    total_timeout = float(getattr(settings, "WEBHOOK_TOTAL_TIMEOUT", 15.0))
    cap = int(getattr(settings, "WEBHOOK_MAX_RESPONSE_BYTES", 16384))
    deadline = _Deadline(total_timeout)
    started = time.monotonic()
    status: int | None = None
    text, error, retry_after = "", "", None
    request_headers = {
        "content-type": "application/json",
        "user-agent": f"{settings.SITE_NAME}-Webhooks/1.0",
        "accept-encoding": "identity",
        **headers,
    }
    client = httpx.Client(
        transport=GuardedTransport(deadline=deadline),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
    )
    try:
        with client, client.stream("POST", url, content=body, headers=request_headers) as response:
            status = response.status_code
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            received = bytearray()
            for chunk in response.iter_raw():
                received += chunk[: cap - len(received)]
                if len(received) >= cap:
                    break  # the rest is never read; closing the response drops the connection
            text = received.decode("utf-8", errors="replace")
    except AddressRefused as exc:
        error = str(exc)
    except httpx.TimeoutException as exc:
        error = f"Timeout: {exc}" if str(exc) else f"Timeout after {total_timeout:g} s"
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return SendResult(status, text, error[:500], retry_after, duration_ms)
