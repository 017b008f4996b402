"""Bearer tokens are read one way everywhere, and pages with secrets are never stored."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from lib.http import bearer_token, no_store


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer abc", "abc"),
        ("BEARER a b", "a b"),  # the caller decides whether a space makes the token not its own
        ("Bearer ", None),
        ("Bearer", None),
        ("Basic dXNlcjpwYXNz", None),
        (" Bearer abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_is_the_value_after_the_bearer_scheme(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_no_store_marks_the_response_for_browsers_and_http_1_0_caches() -> None:
    response = no_store(HttpResponse("secret"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
