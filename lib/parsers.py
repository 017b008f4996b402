"""DRF's JSON parser with the nesting limit of lib.jsonlimit (REST_FRAMEWORK DEFAULT_PARSER_CLASSES)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from lib.jsonlimit import MAX_DEPTH, depth_exceeds


class DepthLimitedJSONParser(JSONParser):
    """A JSON body nested more than MAX_DEPTH levels deep is a 400 `malformed_request`, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            deep = True
        else:
            deep = depth_exceeds(data)
        if deep:
            raise ParseError(f"JSON parse error - the body may nest at most {MAX_DEPTH} levels deep.")
        return data
