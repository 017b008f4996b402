"""Sending RFC 9421 signed requests through Django's test client, signed by the customer helper (keys/client.py)."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from keys.signing.client import RequestSigner

HOST = "testserver"


def signed_headers(
    key_id: str,
    secret: str,
    *,
    method: str = "GET",
    path: str = "/orders",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **options: Any,
) -> dict[str, str]:
    """The headers a customer would send, signed for http://testserver<path>."""
    headers = dict(headers or {})
    if body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    RequestSigner(key_id, secret, **options).sign(method=method, url=f"http://{HOST}{path}", headers=headers, body=body)
    return headers


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Header names as WSGI environ keys (Content-Type is passed separately by the test client)."""
    out = {}
    for name, value in headers.items():
        if name.lower() == "content-type":
            continue
        out["HTTP_" + name.upper().replace("-", "_")] = value
    return out


def send(
    api: APIClient,
    headers: dict[str, str],
    *,
    method: str = "GET",
    path: str = "/orders",
    body: bytes = b"",
    **extra: Any,
) -> Any:
    """Send a request with exactly these headers and body (which may differ from what was signed)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "application/json")
    return api.generic(method, path, data=body, content_type=content_type, **as_meta(headers), **extra)


def signed(
    api: APIClient,
    key_id: str,
    secret: str,
    *,
    method: str = "GET",
    path: str = "/orders",
    body: bytes = b"",
    **extra: Any,
) -> Any:
    """Sign and send in one go."""
    return send(
        api,
        signed_headers(key_id, secret, method=method, path=path, body=body),
        method=method,
        path=path,
        body=body,
        **extra,
    )
