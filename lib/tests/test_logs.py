"""The redaction filter and the JSON formatter, record by record."""

from __future__ import annotations

import io
import json
import logging

import pytest

from lib.logs import ContextFilter, JsonFormatter, RedactingFilter, redact, request_id_var

API_KEY = "ak_live_3fQ9xK2m" + "A" * 32 + "b1C2d3"
SIGNING = "hss_" + "Zm9vYmFyYmF6cXV4LWZvb2Jhci1iYXotcXV4LWZvbw"
WEBHOOK = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/Jv8Rkf5xtk="
JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
SECRETS = [API_KEY[16:], SIGNING[4:], WEBHOOK[6:], JWT, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "hunter2-password"]


@pytest.mark.parametrize(
    "text",
    [
        f"key {API_KEY} refused",
        f"Authorization: Bearer {SIGNING}",
        f"secret={WEBHOOK}",
        f"token {JWT}",
        PEM,
        "password=hunter2-password&username=alice",
        '{"password": "hunter2-password"}',
        "{'new_password1': 'hunter2-password'}",
        "client_secret: hunter2-password",
    ],
)
def test_secret_shapes_are_scrubbed(text: str) -> None:
    scrubbed = redact(text)
    assert "[redacted" in scrubbed
    assert not any(secret in scrubbed for secret in SECRETS), scrubbed


def test_api_keys_keep_their_public_id_and_ordinary_text_survives() -> None:
    assert redact(f"key {API_KEY} refused") == "key ak_live_3fQ9xK2m[redacted] refused"
    plain = "GET /api/v1/keys/3fQ9xK2m 401 status_code=401 token expired, sha256 " + "ab" * 32
    assert redact(plain) == plain


def _emit(logger_name: str, build: object) -> dict[str, object]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        build(logger)  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    line = stream.getvalue()
    assert line.count("\n") == 1
    for secret in SECRETS:
        assert secret not in line
    return json.loads(line)


def test_arguments_extras_and_exceptions_are_scrubbed() -> None:
    def build(logger: logging.Logger) -> None:
        try:
            raise ValueError(f"could not parse {API_KEY} with {JWT}")
        except ValueError:
            logger.exception("failed for %s", WEBHOOK, extra={"body": {"password": "hunter2-password"}, "hdr": SIGNING})

    record = _emit("test.redact.exc", build)
    assert record["message"] == "failed for whsec_[redacted]"
    assert "ValueError: could not parse ak_live_3fQ9xK2m[redacted] with [redacted-jwt]" in str(record["exc_info"])
    assert record["body"] == {"password": "[redacted]"}
    assert record["level"] == "ERROR" and record["logger"] == "test.redact.exc"


def test_an_exception_chain_and_stack_info_are_scrubbed() -> None:
    def build(logger: logging.Logger) -> None:
        try:
            try:
                raise KeyError(SIGNING)
            except KeyError as inner:
                raise RuntimeError("outer") from inner
        except RuntimeError:
            logger.error("boom", exc_info=True, stack_info=True)

    record = _emit("test.redact.chain", build)
    assert "hss_[redacted]" in str(record["exc_info"])


def test_a_bad_format_string_is_logged_without_its_arguments() -> None:
    record = _emit("test.redact.bad", lambda logger: logger.info("%s %s", API_KEY))
    assert "unformattable" in str(record["message"])


def test_records_carry_the_request_id() -> None:
    token = request_id_var.set("req-12345678")
    try:
        record = _emit("test.redact.ctx", lambda logger: logger.info("hello"))
    finally:
        request_id_var.reset(token)
    assert record["request_id"] == "req-12345678"
    assert record["credential_kind"] is None
