"""lib.jsonlimit: JSON deeper than MAX_DEPTH is a ValueError, however deep, and never a RecursionError."""

from __future__ import annotations

import json

import pytest

from lib import jsonlimit


def test_documents_up_to_the_limit_parse_and_deeper_ones_are_refused() -> None:
    limit = jsonlimit.MAX_DEPTH
    assert jsonlimit.loads("[" * limit + "]" * limit) is not None
    with pytest.raises(jsonlimit.JSONTooDeep, match=f"at most {limit}"):
        jsonlimit.loads("[" * (limit + 1) + "]" * (limit + 1))


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_documents_that_would_overflow_the_parser_are_a_value_error(depth) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="nest at most"):
        jsonlimit.loads('{"a":' * depth + "1" + "}" * depth)


def test_scalars_and_wide_documents_are_not_deep() -> None:
    assert not jsonlimit.depth_exceeds(json.loads("[" + ",".join(["[1]"] * 5000) + "]"))
    assert not jsonlimit.depth_exceeds("x") and not jsonlimit.depth_exceeds(None)
