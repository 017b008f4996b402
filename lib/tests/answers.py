"""Compare whole HTTP answers, for endpoints that must not tell one case from another."""

from __future__ import annotations

from typing import Any


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body. X-Request-ID is left out: it is fresh for every request (or the caller's
    own, echoed), so it tells nothing about the credential; every other header and the body must match."""
    return response.status_code, sorted(i for i in response.items() if i[0] != "X-Request-ID"), response.content
