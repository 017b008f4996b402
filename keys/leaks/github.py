"""GitHub's secret scanning partner program: check a report's signature, read it, and answer with labels.

GitHub signs the raw request body with ECDSA P-256 over SHA-256 and sends the signature (base64 of the
ASN.1 DER encoding) in `Github-Public-Key-Signature`, naming the signing key in
`Github-Public-Key-Identifier`. The keys come from settings (`KEYS_GITHUB_SCANNING_PUBLIC_KEYS`, the
document GitHub publishes at api.github.com/meta/public_keys/secret_scanning), never fetched while a
report waits, so an outage or a hijacked network path cannot make us accept a forged report.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from keys.leaks.entries import json_array

SOURCE = "github_secret_scanning"


class SignatureRefused(Exception):
    """The report is not provably from GitHub; the message is safe to show."""


@dataclass(frozen=True)
class Report:
    """One match in a GitHub report: the token, GitHub's name for its type, and where it was found."""

    token: str
    type: str
    url: str
    source: str


@cache
def _load(raw: str) -> dict[str, ec.EllipticCurvePublicKey]:
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"KEYS_GITHUB_SCANNING_PUBLIC_KEYS is not JSON: {exc}") from None
    entries = document.get("public_keys") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise ImproperlyConfigured("KEYS_GITHUB_SCANNING_PUBLIC_KEYS lists no public key (expected GitHub's document).")
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("key_identifier"), str):
            raise ImproperlyConfigured("Each GitHub public key needs `key_identifier` and `key` (PEM).")
        try:
            key = serialization.load_pem_public_key(str(entry.get("key", "")).encode("ascii"))
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise ImproperlyConfigured(
                f"GitHub public key {entry['key_identifier']!r} is not a PEM key: {exc}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ImproperlyConfigured(f"GitHub public key {entry['key_identifier']!r} is not an ECDSA P-256 key.")
        keys[entry["key_identifier"]] = key
    return keys


def public_keys() -> dict[str, ec.EllipticCurvePublicKey]:
    """GitHub's signing keys by identifier; ImproperlyConfigured (system check keys.E010) when the setting is bad."""
    return _load(settings.KEYS_GITHUB_SCANNING_PUBLIC_KEYS)


def verify_signature(body: bytes, *, key_identifier: str | None, signature: str | None) -> None:
    """Raise SignatureRefused unless `signature` is a valid signature of `body` by the key GitHub names."""
    keys = public_keys()
    if not keys:
        raise SignatureRefused("GitHub secret scanning is not configured on this server.")
    if not key_identifier or not signature:
        raise SignatureRefused("The report is not signed (Github-Public-Key-Identifier, Github-Public-Key-Signature).")
    key = keys.get(key_identifier)
    if key is None:
        raise SignatureRefused("The report is signed by a key this server does not know.")
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise SignatureRefused("The report's signature does not verify.") from None


def _text(item: dict[str, Any], name: str, index: int, *, required: bool) -> str:
    value = item.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or (required and not value):
        raise ValidationError({f"[{index}].{name}": f"`{name}` must be a {'non-empty ' if required else ''}string."})
    return value


def parse_reports(body: bytes) -> list[Report]:
    """The report's matches; a ValidationError naming what is wrong with a malformed report."""
    data = json_array(body, noun="report", shape="{token, type, url, source}")
    reports = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValidationError({f"[{index}]": "Each match is an object {token, type, url, source}."})
        reports.append(
            Report(
                token=_text(item, "token", index, required=True),
                type=_text(item, "type", index, required=False),
                url=_text(item, "url", index, required=False),
                source=_text(item, "source", index, required=False),
            )
        )
    return reports


def feedback(reports: list[Report], ours: set[str]) -> list[dict[str, str]]:
    """GitHub's feedback format: per token, its SHA-256 (never the token back) and whether it was really ours."""
    return [
        {
            "token_hash": hashlib.sha256(report.token.encode("utf-8", "surrogatepass")).hexdigest(),
            "token_type": report.type,
            "label": "true_positive" if report.token in ours else "false_positive",
        }
        for report in reports
    ]
