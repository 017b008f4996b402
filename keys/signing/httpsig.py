"""RFC 9421 HTTP Message Signatures (`hmac-sha256`) on incoming requests: the rules around the library.

`http-message-signatures` builds the signature base and checks the MAC. This module adds the policy
the platform promises (DESIGN 5): one signature per request, a `keyid`, `created` within
`SIGNATURE_MAX_AGE_SECONDS` (plus `SIGNATURE_CLOCK_SKEW_SECONDS`), a nonce, coverage of `@method`,
the target URI and, whenever there is a body, `content-digest`, and an RFC 9530 `Content-Digest`
(`sha-256`) that matches the raw body. Nothing here touches the database; `keys.services.signing`
looks the key up and reserves the nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import http_sf
from django.conf import settings
from django.http import HttpRequest
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureAlgorithm, HTTPSignatureKeyResolver
from http_message_signatures.exceptions import HTTPMessageSignaturesException, InvalidSignature

ALGORITHM = "hmac-sha256"
ALLOWED_PARAMETERS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})
MAX_HEADER_LENGTH = 4096
MAX_NONCE_LENGTH = 128
MIN_NONCE_LENGTH = 8


class Reason(StrEnum):
    """Which rule a signed request broke. The value is the `detail.reason` of the 401."""

    MISSING_SIGNATURE = "missing_signature"
    MALFORMED = "malformed_signature"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    MISSING_COMPONENT = "missing_component"
    MISSING_NONCE = "missing_nonce"
    EXPIRED = "expired"
    CREATED_IN_FUTURE = "created_in_future"
    MISSING_DIGEST = "missing_digest"
    DIGEST_MISMATCH = "digest_mismatch"
    UNKNOWN_KEY_ID = "unknown_key_id"
    INACTIVE_KEY = "inactive_key"
    FORBIDDEN_IP = "forbidden_ip"
    KEY_MISMATCH = "key_mismatch"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"


MESSAGES: dict[Reason, str] = {
    Reason.MISSING_SIGNATURE: "This endpoint needs the request signed (RFC 9421) as well as the API key.",
    Reason.MALFORMED: "The Signature-Input or Signature header is malformed, or carries more than one signature.",
    Reason.UNSUPPORTED_ALGORITHM: 'The signature algorithm must be "hmac-sha256".',
    Reason.MISSING_COMPONENT: "The signature does not cover every required component.",
    Reason.MISSING_NONCE: "The signature needs a nonce of 8 to 128 characters.",
    Reason.EXPIRED: "The signature has expired: its created time is too old.",
    Reason.CREATED_IN_FUTURE: "The signature's created time is in the future; check the client's clock.",
    Reason.MISSING_DIGEST: "A request with a body needs a Content-Digest header (sha-256) covered by the signature.",
    Reason.DIGEST_MISMATCH: "The Content-Digest does not match the request body.",
    Reason.UNKNOWN_KEY_ID: "The signature's keyid is not a known signing key.",
    Reason.INACTIVE_KEY: "The signing key is revoked, disabled or expired.",
    Reason.FORBIDDEN_IP: "The signing key may not be used from this address.",
    Reason.KEY_MISMATCH: "The signing key does not belong to the API key sent with the request.",
    Reason.BAD_SIGNATURE: "The signature does not match the request.",
    Reason.REPLAYED: "This signature's nonce was already used: the request is a replay.",
}


class SignatureFailure(Exception):
    """A signed request broke rule `reason`. The message is safe to show: it names the rule, never a secret."""

    def __init__(self, reason: Reason, *, key_id: str | None = None, log: str = "") -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.key_id = key_id
        self.log = log  # extra detail for the server log only


@dataclass(frozen=True)
class SignatureInput:
    """The one signature of a request, parsed and checked against the rules that need no key."""

    label: str
    key_id: str
    created: int
    nonce: str
    components: tuple[str, ...]  # bare component names, e.g. "@method", "content-digest"
    expires: int | None = None


def max_age() -> int:
    return int(settings.SIGNATURE_MAX_AGE_SECONDS)


def clock_skew() -> int:
    return int(settings.SIGNATURE_CLOCK_SKEW_SECONDS)


def nonce_ttl() -> int:
    """How long a nonce must be remembered: as long as its signature could still be accepted."""
    return max_age() + 2 * clock_skew() + 1


def is_signed(request: HttpRequest) -> bool:
    """Whether the request carries an RFC 9421 signature at all (the scheme is ours)."""
    return "HTTP_SIGNATURE_INPUT" in request.META or "HTTP_SIGNATURE" in request.META


def _dictionary(value: str | None) -> dict[str, Any]:
    if not value or len(value) > MAX_HEADER_LENGTH:
        raise SignatureFailure(Reason.MALFORMED)
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeError):
        raise SignatureFailure(Reason.MALFORMED) from None
    if not isinstance(parsed, dict):
        raise SignatureFailure(Reason.MALFORMED)
    return parsed


def parse(request: HttpRequest, *, now: float | None = None) -> SignatureInput:
    """Parse `Signature-Input`/`Signature` and apply the rules that need no key: form, algorithm, age, nonce."""
    inputs = _dictionary(request.META.get("HTTP_SIGNATURE_INPUT"))
    signatures = _dictionary(request.META.get("HTTP_SIGNATURE"))
    if len(inputs) != 1 or inputs.keys() != signatures.keys():
        raise SignatureFailure(Reason.MALFORMED, log="expected exactly one signature label in both headers")
    label = next(iter(inputs))
    members, params = inputs[label]
    signature, _ = signatures[label]
    if not isinstance(members, list) or not isinstance(signature, bytes) or not isinstance(params, dict):
        raise SignatureFailure(Reason.MALFORMED)
    if set(params) - ALLOWED_PARAMETERS:
        raise SignatureFailure(Reason.MALFORMED, log=f"unknown parameters {sorted(set(params) - ALLOWED_PARAMETERS)}")
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id or len(key_id) > 64:
        raise SignatureFailure(Reason.MALFORMED, log="keyid missing or not a string")
    alg = params.get("alg", ALGORITHM)
    if alg != ALGORITHM:
        raise SignatureFailure(Reason.UNSUPPORTED_ALGORITHM, key_id=key_id)
    names: list[str] = []
    for item in members:
        if not isinstance(item, tuple) or not isinstance(item[0], str):
            raise SignatureFailure(Reason.MALFORMED, key_id=key_id)
        names.append(item[0])
    created = params.get("created")
    if type(created) is not int:
        raise SignatureFailure(Reason.MISSING_COMPONENT, key_id=key_id, log="no created parameter")
    expires = params.get("expires")
    if expires is not None and type(expires) is not int:
        raise SignatureFailure(Reason.MALFORMED, key_id=key_id)
    now = time.time() if now is None else now
    skew = clock_skew()
    if created > now + skew:
        raise SignatureFailure(Reason.CREATED_IN_FUTURE, key_id=key_id, log=f"created={created} now={int(now)}")
    if now - created > max_age() + skew or (expires is not None and expires < now - skew):
        raise SignatureFailure(Reason.EXPIRED, key_id=key_id, log=f"created={created} now={int(now)}")
    nonce = params.get("nonce")
    if (
        not isinstance(nonce, str)
        or not MIN_NONCE_LENGTH <= len(nonce) <= MAX_NONCE_LENGTH
        or not nonce.isascii()
        or not nonce.isprintable()
    ):
        raise SignatureFailure(Reason.MISSING_NONCE, key_id=key_id)
    return SignatureInput(
        label=label, key_id=key_id, created=created, nonce=nonce, components=tuple(names), expires=expires
    )


def has_body(request: HttpRequest, body: bytes) -> bool:
    return bool(body) or "HTTP_CONTENT_DIGEST" in request.META


def required_components(request: HttpRequest, body: bytes, *, extra: Iterable[str] = ()) -> list[str]:
    """What the signature must cover for this request (the target URI may be split into its parts)."""
    required = ["@method"]
    if has_body(request, body):
        required.append("content-digest")
    required.extend(extra)
    return required


def check_coverage(parsed: SignatureInput, required: Sequence[str]) -> None:
    covered = set(parsed.components)
    missing = [c for c in required if c not in covered]
    if "@target-uri" not in covered and not {"@authority", "@path", "@query"} <= covered:
        missing.append("@target-uri")
    if "content-digest" in missing:
        # A body whose digest is not signed could be swapped in transit: say so plainly.
        raise SignatureFailure(Reason.MISSING_DIGEST, key_id=parsed.key_id)
    if missing:
        raise SignatureFailure(Reason.MISSING_COMPONENT, key_id=parsed.key_id, log=f"missing {missing}")


def check_digest(request: HttpRequest, body: bytes, *, key_id: str) -> None:
    """RFC 9530: the `sha-256` member of Content-Digest must equal the SHA-256 of the raw body."""
    if not has_body(request, body):
        return
    value = request.META.get("HTTP_CONTENT_DIGEST")
    if not value:
        raise SignatureFailure(Reason.MISSING_DIGEST, key_id=key_id)
    try:
        members = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeError):
        raise SignatureFailure(Reason.MISSING_DIGEST, key_id=key_id, log="unparseable Content-Digest") from None
    member = members.get("sha-256") if isinstance(members, dict) else None
    digest = member[0] if isinstance(member, tuple) else None
    if not isinstance(digest, bytes):
        raise SignatureFailure(Reason.MISSING_DIGEST, key_id=key_id, log="no sha-256 member")
    if not hmac.compare_digest(digest, hashlib.sha256(body).digest()):
        raise SignatureFailure(Reason.DIGEST_MISMATCH, key_id=key_id)


# --- the MAC check, through the library ----------------------------------------------------------


class SecretCandidates:
    """The secrets a key id may sign with (current, and the previous one during its grace period)."""

    def __init__(self, secrets: Sequence[tuple[str, bytes]]) -> None:
        self.secrets = list(secrets)
        self.matched: str | None = None


class _HMACAnyOf(HTTPSignatureAlgorithm):  # type: ignore[misc]
    """`hmac-sha256` that accepts a MAC made with any of the candidate secrets, and notes which one."""

    algorithm_id = ALGORITHM

    def __init__(self, public_key: Any = None, private_key: Any = None) -> None:
        self.candidates: SecretCandidates = public_key

    def sign(self, message: bytes) -> bytes:
        raise HTTPMessageSignaturesException("This algorithm only verifies.")

    def verify(self, signature: bytes, message: bytes) -> None:
        for label, secret in self.candidates.secrets:
            expected = hmac.new(secret, message, hashlib.sha256).digest()
            if hmac.compare_digest(expected, signature):
                self.candidates.matched = label
                return
        raise InvalidSignature("bad signature")


class _Resolver(HTTPSignatureKeyResolver):  # type: ignore[misc]
    def __init__(self, key_id: str, candidates: SecretCandidates) -> None:
        self.key_id = key_id
        self.candidates = candidates

    def resolve_public_key(self, key_id: str) -> SecretCandidates | None:
        return self.candidates if key_id == self.key_id else None

    def resolve_private_key(self, key_id: str) -> Any:
        raise HTTPMessageSignaturesException("Verification only.")


@dataclass
class _Message:
    """The request as the library reads it: method, absolute URL and header field lines."""

    method: str
    url: str
    headers: Any


def target_uri(request: HttpRequest) -> str:
    """The absolute URL the client addressed, with the path exactly as sent when the server kept it."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    path = raw if raw.startswith("/") else request.get_full_path()
    return f"{request.scheme}://{request.get_host()}{path}"


def verify_mac(request: HttpRequest, parsed: SignatureInput, candidates: SecretCandidates) -> str:
    """Check the MAC over the RFC 9421 signature base; return which candidate secret signed it."""
    verifier = HTTPMessageVerifier(signature_algorithm=_HMACAnyOf, key_resolver=_Resolver(parsed.key_id, candidates))
    verifier.max_clock_skew = timedelta(seconds=clock_skew())
    message = _Message(method=(request.method or "").upper(), url=target_uri(request), headers=request.headers)
    try:
        verifier.verify(message, max_age=None)
    except (HTTPMessageSignaturesException, ValueError, TypeError, KeyError) as exc:
        raise SignatureFailure(Reason.BAD_SIGNATURE, key_id=parsed.key_id, log=str(exc)[:200]) from None
    if candidates.matched is None:  # pragma: no cover - the library raises before this
        raise SignatureFailure(Reason.BAD_SIGNATURE, key_id=parsed.key_id)
    return candidates.matched


def accept_signature_header(extra: Iterable[str] = ()) -> str:
    """`Accept-Signature` (RFC 9421 section 5.1) telling a client what to sign, sent with our 401s."""
    components = " ".join(f'"{c}"' for c in ("@method", "@target-uri", "content-digest", *extra))
    return f'sig1=({components});created;keyid;nonce;alg="{ALGORITHM}"'
