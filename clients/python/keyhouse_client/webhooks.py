"""Standard Webhooks verification, and the receiver that turns key events into cache invalidations.

The signature (https://www.standardwebhooks.com/) is `v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>`,
the key being the base64 part of the `whsec_…` secret. During a secret rotation the platform sends one
signature per active secret, space-separated; one match is enough. A timestamp more than five minutes
away is refused, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from keyhouse_client.jsonobject import json_object

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
# Events after which a key may answer differently: its cached verdicts are dropped.
KEY_EVENTS = frozenset(
    {"key.revoked", "key.updated", "key.disabled", "key.enabled", "key.rolled", "key.expired", "key.leaked"}
)


class WebhookVerificationError(Exception):
    """The delivery is not signed by the platform (or is too old); answer 400 and ignore it."""


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("A webhook secret is `whsec_` followed by base64.") from exc


def verify(
    secrets: str | Iterable[str], headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> dict[str, Any]:
    """Check a delivery's signature and timestamp, and return its parsed JSON envelope."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not msg_id or not stamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from exc
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    candidates = [value.partition(",")[2] for value in signatures.split() if value.startswith("v1,")]
    for secret in [secrets] if isinstance(secrets, str) else list(secrets):
        expected = base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            break
    else:
        raise WebhookVerificationError("no signature matches")
    try:
        return json_object(body)
    except ValueError as exc:
        raise WebhookVerificationError(f"the body is not a JSON object: {exc}") from exc


class InvalidationReceiver:
    """Verifies deliveries and drops the cached verdicts of every key that an event names.

    `invalidate` is called with the key id (for example `KeyVerifier.invalidate`). `handle` returns
    the HTTP status to answer: 204 when verified (whatever the event), 400 when not.
    """

    def __init__(self, *, secrets: str | Iterable[str], invalidate: Callable[[str], object]) -> None:
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        if not self.secrets:
            raise ValueError("InvalidationReceiver needs at least one webhook secret")
        self._invalidate = invalidate

    def handle(self, headers: Mapping[str, str], body: bytes) -> int:
        try:
            envelope = verify(self.secrets, headers, body)
        except WebhookVerificationError:
            return 400
        if envelope.get("type") in KEY_EVENTS:
            data = envelope.get("data")
            key = data.get("key") if isinstance(data, dict) else None
            key_id = key.get("id") if isinstance(key, dict) else None
            if isinstance(key_id, str) and key_id:
                self._invalidate(key_id)
        return 204
