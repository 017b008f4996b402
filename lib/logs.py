"""Structured logs: one JSON object per line, a request id and the credential on every record, no secrets.

`RedactingFilter` (on every handler, LOGGING in config/settings/observability.py and gunicorn's
logconfig) rewrites each record before any formatter sees it: the message with its arguments, the
exception and stack text, and every extra attribute lose anything shaped like one of our secrets.
`JsonFormatter` adds `request_id`, `credential_kind` and `credential_id` from the context that the
request-id middleware and the authentication hook set, and redacts its output once more.
"""

from __future__ import annotations

import logging
import re
import traceback
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

REDACTED = "[redacted]"

# What each secret looks like (DESIGN 4, keys/apikeys/tokens.py, keys/signing/services.py,
# webhooks/signing.py). API keys keep their public part (prefix, environment, 8-character id).
_API_KEY = re.compile(r"\b([a-z][a-z0-9]{0,15}_(?:live|test)_[0-9A-Za-z]{8})[0-9A-Za-z]{38}\b")
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_API_KEY, r"\1" + REDACTED),
    # HMAC request-signing secrets: hss_ + urlsafe base64 of 32 bytes.
    (re.compile(r"\bhss_[A-Za-z0-9_-]{20,}"), "hss_" + REDACTED),
    # Webhook signing secrets: whsec_ + base64 of 32 bytes.
    (re.compile(r"\bwhsec_[A-Za-z0-9+/]{20,}={0,2}"), "whsec_" + REDACTED),
    # JWTs (access and ID tokens): three base64url parts, the first a JSON header.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    # PEM private keys (OIDC signing keys, client certificate keys).
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
        "[redacted-private-key]",
    ),
    # Authorization header values, whatever the scheme.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # OAuth authorization codes in redirect and token requests.
    (re.compile(r"([?&]code=)[^&\s\"']+"), r"\1" + REDACTED),
    # name=value and "name": "value" pairs whose name says secret (form bodies, query strings, dicts, JSON).
    (
        re.compile(
            r"""(?ix)
            (\b[a-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|pepper|otp|code_verifier|authorization|cookie|sessionid)[a-z0-9_-]*
             \\?["']?\s*[:=]\s*\\?["']?)
            ([^\s"'\\&,;}]+)
            """
        ),
        r"\1" + REDACTED,
    ),
    # Other long opaque tokens (invitation and reset links, OAuth codes): 40+ urlsafe characters that
    # are not plain hex (hashes and ids in hex stay readable).
    (re.compile(r"\b(?=[A-Za-z0-9_-]*[G-Zg-z_-])[A-Za-z0-9_-]{40,}"), REDACTED),
)


def redact(text: str) -> str:
    """`text` with everything shaped like a secret replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    # Anything else (a request object, an exception) is rendered now, so its text can be checked.
    return redact(str(value))


_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Scrubs secrets from a record: message and arguments, exception and stack text, extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record (or leak its raw arguments)
            message = f"{record.msg!r} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info:
            text = record.exc_text or "".join(traceback.format_exception(*record.exc_info))
            record.exc_text, record.exc_info = redact(text.rstrip("\n")), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and not name.startswith("_"):
                setattr(record, name, _redact_value(value))
        record._redacted = True
        return True


# --- Request context --------------------------------------------------------------------------------

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The credential object itself: naming it (kind, id) waits until a record is actually written.
credential_var: ContextVar[Any] = ContextVar("credential", default=None)


def bind_credential(credential: Any) -> None:
    """Name the request's credential (kind and public id, never the secret) in its log records.

    Only inside a request that RequestIdMiddleware opened (and will close): outside one (a test calling
    a view directly, a script) nothing would reset it, and later records would name a stale credential.
    """
    if request_id_var.get() is not None:
        credential_var.set(credential)


class ContextFilter(logging.Filter):
    """Adds `request_id`, `credential_kind` and `credential_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        credential = credential_var.get()
        if credential is None:
            record.credential_kind = record.credential_id = None
        else:
            record.credential_kind = str(getattr(credential, "kind", type(credential).__name__))
            record.credential_id = str(getattr(credential, "id", ""))
        return True


class JsonFormatter(_BaseJsonFormatter):
    """python-json-logger's formatter with our field names, redacting its output as a last line of defence."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "asctime": "time"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def handler_config(stream: str = "ext://sys.stderr") -> dict[str, Any]:
    """The dictConfig pieces every process uses (Django's LOGGING, gunicorn's logconfig_dict)."""
    return {
        "filters": {
            "redact": {"()": "lib.logs.RedactingFilter"},
            "context": {"()": "lib.logs.ContextFilter"},
        },
        "formatters": {
            "json": {"()": "lib.logs.JsonFormatter"},
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handler": {"class": "logging.StreamHandler", "stream": stream, "filters": ["context", "redact"]},
    }
