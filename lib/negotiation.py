"""DRF content negotiation with a shortcut for the requests every API client sends.

DRF's `DefaultContentNegotiation` parses the Accept header into media types and ranks them on every
request, about 5 % of a tiny endpoint's server time. Almost every client sends no Accept header,
`*/*` or the first renderer's own media type, for which that ranking always picks the first
renderer; those requests take the shortcut, everything else (q-values, parameters, `?format=`,
format suffixes, other types) gets DRF's full negotiation and answer, 406 included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str] | Any:
        if (
            isinstance(renderers, list | tuple)
            and renderers
            and not format_suffix
            and not request.META.get("QUERY_STRING")
        ):
            accept = request.META.get("HTTP_ACCEPT", "")
            first = renderers[0]
            if accept in ("", "*/*", first.media_type):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
