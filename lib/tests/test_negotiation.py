"""lib.negotiation.ContentNegotiation picks exactly what DRF's own negotiation picks."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from lib.negotiation import ContentNegotiation

RENDERER_SETS = [
    [JSONRenderer()],
    [JSONRenderer(), BrowsableAPIRenderer()],
    [StaticHTMLRenderer(), JSONRenderer()],
]
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "text/html",
    "application/json; indent=4",
    "text/html;q=0.9, application/json",
    "application/*",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
]


def request(accept: str | None, query: str = "") -> Request:
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    return Request(APIRequestFactory().get(f"/x{query}", **headers))


def pick(negotiation: DefaultContentNegotiation, renderers, req: Request, suffix=None):  # type: ignore[no-untyped-def]
    try:
        renderer, media_type = negotiation.select_renderer(req, renderers, suffix)
    except exceptions.NotAcceptable:
        return "406"
    return type(renderer), media_type


@pytest.mark.parametrize("renderers", RENDERER_SETS)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?page=2"])
def test_the_same_renderer_and_media_type_as_drf(renderers, accept, query) -> None:  # type: ignore[no-untyped-def]
    try:
        expected = pick(DefaultContentNegotiation(), renderers, request(accept, query))
    except Exception as exc:  # a ?format= no renderer has is DRF's 404
        with pytest.raises(type(exc)):
            pick(ContentNegotiation(), renderers, request(accept, query))
        return
    assert pick(ContentNegotiation(), renderers, request(accept, query)) == expected


def test_an_unacceptable_type_is_still_406() -> None:
    assert pick(ContentNegotiation(), [JSONRenderer()], request("image/png")) == "406"


def test_a_format_suffix_still_filters() -> None:
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    assert pick(ContentNegotiation(), renderers, request("*/*"), "api")[0] is BrowsableAPIRenderer
