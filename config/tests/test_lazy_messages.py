"""config.middleware.LazyMessageMiddleware: message storage only for requests that use it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty

from config.middleware import LazyMessageMiddleware
from conftest import key_client

pytestmark = pytest.mark.django_db


def run(view: Any, cookies: dict[str, str] | None = None) -> tuple[HttpRequest, HttpResponse]:
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    stack = SessionMiddleware(LazyMessageMiddleware(view))
    return request, stack(request)


def test_an_api_request_builds_no_message_storage(make_key: Any) -> None:
    _, plaintext = make_key()
    response = key_client(plaintext).get("/api/v1/whoami")
    assert response.status_code == 200
    assert response.wsgi_request._messages._wrapped is empty  # type: ignore[attr-defined]
    assert "messages" not in response.cookies


def test_a_message_added_in_one_request_is_shown_in_the_next() -> None:
    def add(request: HttpRequest) -> HttpResponse:
        messages.success(request, "Key created.")
        return HttpResponse("added")

    _, response = run(add)
    cookie = response.cookies["messages"].value
    seen: list[str] = []

    def show(request: HttpRequest) -> HttpResponse:
        seen.extend(str(m) for m in messages.get_messages(request))
        return HttpResponse("shown")

    _, second = run(show, {"messages": cookie})
    assert seen == ["Key created."]
    assert second.cookies["messages"].value == ""  # read, so the cookie is cleared


def test_a_request_that_only_reads_messages_works_without_any() -> None:
    def show(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(len(list(messages.get_messages(request)))))

    _, response = run(show)
    assert response.content == b"0"
