"""Compare whole HTTP answers, for endpoints that must not tell one case from another."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body. X-Request-ID is left out: it is fresh for every request (or the caller's
    own, echoed), so it tells nothing about the credential; every other header and the body must match."""
    return response.status_code, sorted(i for i in response.items() if i[0] != "X-Request-ID"), response.content


def assert_not_found(client: Any, requests: Iterable[tuple[str, str]], prefix: str = "") -> None:
    """Each (method, path) answers the API's 404 `not_found`, as for something that does not exist: an outsider
    learns nothing of another team's objects. An empty JSON body goes with every request."""
    for method, path in requests:
        response = getattr(client, method)(f"{prefix}{path}", {}, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "not_found", (method, path)
