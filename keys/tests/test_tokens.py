from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from keys.apikeys import tokens


def test_built_key_has_the_documented_shape() -> None:
    key = tokens.build("ak", "live", "3fQ9xK2m")
    assert re.fullmatch(r"ak_live_3fQ9xK2m[0-9A-Za-z]{32}[0-9A-Za-z]{6}", key)
    assert re.fullmatch(tokens.scanner_regex("ak").replace(r"\b", ""), key)


def test_a_valid_key_parses_to_its_id_and_environment() -> None:
    key = tokens.build("ak", "test", "ABCDEFGH")
    parsed = tokens.parse(key, prefix="ak")
    assert parsed is not None
    assert (parsed.key_id, parsed.environment, parsed.prefix) == ("ABCDEFGH", "test", "ak")


def test_one_changed_character_fails_the_checksum() -> None:
    key = tokens.build("ak", "live", "ABCDEFGH")
    i = 20
    flipped = key[:i] + ("a" if key[i] != "a" else "b") + key[i + 1 :]
    assert tokens.parse(flipped, prefix="ak") is None


def test_wrong_prefix_length_or_alphabet_is_refused() -> None:
    key = tokens.build("ak", "live", "ABCDEFGH")
    assert tokens.parse(key, prefix="sk") is None
    assert tokens.parse(key[:-1], prefix="ak") is None
    assert tokens.parse(key + "A", prefix="ak") is None
    assert tokens.parse(key.replace("ak_live", "ak_prod"), prefix="ak") is None
    assert tokens.parse("ak_live_" + "é" * 46, prefix="ak") is None
    assert tokens.parse("x" * 65536, prefix="ak") is None


def test_checksum_is_zero_padded_base62_crc32() -> None:
    assert tokens.checksum("") == "000000"
    assert len(tokens.checksum("ak_live_x")) == 6


@given(st.text(alphabet=tokens.ALPHABET + "_", max_size=80))
def test_checksum_is_the_base62_of_the_crc32(text: str) -> None:
    import zlib

    assert tokens.checksum(text) == tokens.base62(zlib.crc32(text.encode("ascii")), tokens.CHECK_LENGTH)


@given(st.text(max_size=200))
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    assert tokens.parse(text, prefix="ak") is None or text.startswith("ak_")


@given(st.sampled_from(["live", "test"]), st.text(alphabet=tokens.ALPHABET, min_size=8, max_size=8))
def test_every_built_key_round_trips(env: str, key_id: str) -> None:
    parsed = tokens.parse(tokens.build("ak", env, key_id), prefix="ak")
    assert parsed is not None and parsed.key_id == key_id and parsed.environment == env


@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda p, e, b, tail: f"{p}_{e}_{b}{tail}",
            st.sampled_from(["ak", "a", "ak1", "zz"]),
            st.sampled_from(["live", "test", "prod", "LIVE"]),
            st.text(alphabet=tokens.ALPHABET + "_-é", min_size=44, max_size=48),
            st.sampled_from(["", "\n", " "]),
        ),
    )
)
def test_split_accepts_exactly_what_the_key_regex_accepts(text: str) -> None:
    match = tokens._KEY_RE.match(text)
    by_regex = match is not None and match.group(1) == "ak" and text.endswith(match.group(3))
    parsed = tokens.split(text, prefix="ak")
    assert (parsed is not None) == by_regex
    if parsed is not None and match is not None:
        assert (parsed.environment, parsed.key_id) == (match.group(2), match.group(3)[: tokens.ID_LENGTH])
