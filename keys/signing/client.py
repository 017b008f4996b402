"""Sign requests to an API that uses Keyhouse signing secrets: RFC 9421 HTTP Message Signatures, `hmac-sha256`.

Standalone: this file imports nothing from Django or the rest of the project, so a customer can copy
it into their code base. It needs `pip install http-message-signatures`, plus `requests` or `httpx`
for the matching adapter::

    import requests
    from keys.client import RequestsSigner

    auth = RequestsSigner("hs_live_3fQ9xK2mAbCdEf12", "hss_…")
    requests.post("https://api.example.com/orders", json={"sku": "A1"}, auth=auth)

    import httpx
    from keys.client import HTTPXSigner

    httpx.post("https://api.example.com/orders", json={"sku": "A1"}, auth=HTTPXSigner(key_id, secret))

Every request gets `Content-Digest` (sha-256, when it has a body), `Signature-Input` and `Signature`,
covering `@method`, `@target-uri`, `content-digest`, and `content-type`, `authorization` and
`x-api-key` when present (so the API key of an API key + HMAC request is signed too), with `created`,
a fresh random `nonce`, `keyid` and `alg`. docs/signing.md shows the signature base of a sample request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Generator, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from http_message_signatures import HTTPMessageSigner, algorithms

__all__ = ["HTTPXSigner", "RequestSigner", "RequestsSigner", "SignedParts"]

ALGORITHM = "hmac-sha256"
DEFAULT_LABEL = "sig1"
# Headers signed whenever the request has them.
DEFAULT_COVERED_HEADERS = ("content-type", "authorization", "x-api-key")
_SIGNATURE_HEADERS = ("signature", "signature-input", "content-digest")


@dataclass(frozen=True)
class SignedParts:
    """What signing produced: the exact signature base (for debugging other implementations) and the headers."""

    signature_base: str
    headers: dict[str, str]


@dataclass
class _Message:
    method: str
    url: str
    headers: Any


class RequestSigner:
    """Signs one request at a time with a signing secret; independent of any HTTP library.

    The HMAC key is the secret exactly as shown once in the portal (the ASCII bytes of `hss_…`).
    `clock` and `nonce` are injectable so tests and docs can reproduce a signature.
    """

    def __init__(
        self,
        key_id: str,
        secret: str,
        *,
        label: str = DEFAULT_LABEL,
        covered_headers: Sequence[str] = DEFAULT_COVERED_HEADERS,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        if not key_id or not secret:
            raise ValueError("Both the key id (hs_…) and the secret (hss_…) are needed.")
        self.key_id = key_id
        self._secret = secret.encode("ascii")
        self.label = label
        self.covered_headers = tuple(h.lower() for h in covered_headers)
        self.clock = clock
        self.nonce = nonce
        self._signer = HTTPMessageSigner(signature_algorithm=algorithms.HMAC_SHA256)

    def __repr__(self) -> str:  # never the secret
        return f"RequestSigner(key_id={self.key_id!r})"

    def sign(self, *, method: str, url: str, headers: MutableMapping[str, str], body: bytes | None) -> SignedParts:
        """Add `Content-Digest`, `Signature-Input` and `Signature` to `headers` in place.

        `url` must be the absolute, percent-encoded URL that is sent; `body` the exact bytes sent.
        Earlier signature headers are replaced, so signing a retried request again is safe.
        """
        for name in list(headers):
            if name.lower() in _SIGNATURE_HEADERS:
                del headers[name]
        message = _Message(method=method.upper(), url=url, headers=headers)
        present = {name.lower() for name in headers}
        components = ["@method", "@target-uri", *(h for h in self.covered_headers if h in present)]
        prepared = self._signer.prepare(
            message,
            key_id=self.key_id,
            created=datetime.fromtimestamp(int(self.clock()), tz=UTC),
            nonce=self.nonce(),
            label=self.label,
            covered_component_ids=components,
            # A body gets Content-Digest (sha-256) and the signature covers it; no body, no digest.
            body=body or None,
        )
        mac = hmac.new(self._secret, prepared.signature_base, hashlib.sha256).digest()
        self._signer.apply(message, prepared, mac)
        added = {name: headers[name] for name in headers if name.lower() in _SIGNATURE_HEADERS}
        return SignedParts(signature_base=prepared.signature_base.decode("ascii"), headers=added)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    raise ValueError("Only bodies given as bytes or str can be signed; read the stream or file first.")


try:  # the requests adapter, when requests is installed
    from requests.auth import AuthBase as _RequestsAuthBase
except ImportError:  # pragma: no cover
    _RequestsAuthBase = object  # type: ignore[assignment,misc]

try:  # the httpx adapter, when httpx is installed
    from httpx import Auth as _HTTPXAuthBase
    from httpx import Request as _HTTPXRequest
except ImportError:  # pragma: no cover
    _HTTPXAuthBase = object  # type: ignore[assignment,misc]
    _HTTPXRequest = Any  # type: ignore[assignment,misc]


class RequestsSigner(_RequestsAuthBase):
    """`requests` auth: `requests.post(url, json=..., auth=RequestsSigner(key_id, secret))`."""

    def __init__(self, key_id: str, secret: str, **options: Any) -> None:
        self.signer = RequestSigner(key_id, secret, **options)

    def __call__(self, request: Any) -> Any:
        self.signer.sign(
            method=request.method, url=request.url, headers=request.headers, body=_body_bytes(request.body)
        )
        return request


class HTTPXSigner(_HTTPXAuthBase):
    """`httpx` auth: `httpx.Client(auth=HTTPXSigner(key_id, secret))`; signs each request, retries included."""

    requires_request_body = True

    def __init__(self, key_id: str, secret: str, **options: Any) -> None:
        self.signer = RequestSigner(key_id, secret, **options)

    def auth_flow(self, request: _HTTPXRequest) -> Generator[_HTTPXRequest, Any, None]:
        self.signer.sign(method=request.method, url=str(request.url), headers=request.headers, body=request.content)
        yield request
