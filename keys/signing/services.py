"""HMAC request-signing secrets: create, rotate, update, revoke, and check a signed request."""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Organization
from keys.core import lifecycle as core
from keys.core import validation as v
from keys.core.authorization import Action, authorize, authorize_reach, authorize_successor
from keys.core.errors import KeyConflict
from keys.core.services import CredentialSettings, common_fields, insert_with_fresh_id
from keys.models import APIKey, SigningSecret
from keys.signing import httpsig
from keys.signing.httpsig import Reason, SignatureFailure
from keys.signing.kind import SIGNING_SECRET
from keys.signing.models import parse_key_id
from keys.usage import recorder
from lib import crypto
from lib.nonces import nonce_reserve

logger = logging.getLogger("keys.auth")

SECRET_PREFIX = "hss_"
ID_LENGTH = 16
MAX_GRACE = timedelta(days=30)


class SigningUnavailable(Exception):
    """A stored secret cannot be decrypted: the keyring (ENCRYPTION_KEYS) lost a key that rows still use."""


def _new_secret() -> str:
    # 32 random bytes (256 bits). The HMAC key is the ASCII bytes of the whole string, prefix included,
    # so every language uses it as is, with no decoding step to get wrong.
    return SECRET_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def _clean_api_key(api_key: Any, *, organization: Organization, environment: str) -> APIKey | None:
    if api_key in (None, ""):
        return None
    if not isinstance(api_key, APIKey) or api_key.organization_id != organization.pk:
        raise ValidationError({"api_key": "Choose one of your team's API keys."})
    if api_key.environment != environment:
        raise ValidationError({"api_key": f"The API key must be a {environment} key, like the secret."})
    if not api_key.is_active():
        raise ValidationError({"api_key": "The API key is not active."})
    return api_key


def signing_secret_create(
    *,
    organization: Organization,
    actor: Any,
    expires_at: Any = None,
    api_key: Any = None,
    request: HttpRequest | None = None,
    **settings: Unpack[CredentialSettings],
) -> tuple[SigningSecret, str]:
    """Create a signing secret; return it with the secret, which is stored only encrypted and shown once."""
    fields = common_fields(organization=organization, actor=actor, request=request, **settings)
    fields["expires_at"] = v.clean_expiry(expires_at)
    authorize_reach(
        actor,
        organization=organization,
        environment=fields["environment"],
        changes={"expires_at": fields["expires_at"]},
    )
    fields["api_key"] = _clean_api_key(api_key, organization=organization, environment=fields["environment"])
    plaintext = _new_secret()

    def create(ident: str) -> SigningSecret:
        return SigningSecret.objects.create(
            id=ident,
            secret_encrypted=crypto.encrypt(plaintext, purpose=SigningSecret.ENCRYPTION_PURPOSE, row_id=ident),
            **fields,
        )

    with transaction.atomic():
        secret = insert_with_fresh_id(SigningSecret, ID_LENGTH, create)
        core.record(SIGNING_SECRET, "signing_secret.created", secret, actor, request)
    return secret, plaintext


def signing_secret_rotate(
    *, secret: SigningSecret, actor: Any, grace: timedelta = timedelta(0), request: HttpRequest | None = None
) -> tuple[SigningSecret, str]:
    """Give the key id a new secret; the old one keeps verifying for `grace` (never past the key's expiry).

    Clients keep their key id and swap the secret. A secret still in its grace from an earlier rotation
    is dropped: at most two secrets verify at any time. The row is locked against concurrent rotations.
    """
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValidationError({"grace": f"The grace period is between 0 and {MAX_GRACE.days} days."})
    now = timezone.now()
    plaintext = _new_secret()
    with transaction.atomic():
        locked = core.lock(SIGNING_SECRET, secret)
        # The new plaintext goes to the caller: the rule keeps a test credential from ever receiving a live one.
        authorize(actor, Action.ROTATE, locked, request=request)
        authorize_successor(actor, locked, expires_at=locked.expires_at)
        if not locked.is_active(now):
            raise KeyConflict(f"Only active signing secrets can be rotated; this one is {locked.state}.")
        until = now + grace
        if locked.expires_at is not None:
            until = min(until, locked.expires_at)
        if grace > timedelta(0):
            locked.previous_secret_encrypted = locked.secret_encrypted
            locked.previous_valid_until = until
        else:
            locked.previous_secret_encrypted = ""
            locked.previous_valid_until = None
        locked.secret_encrypted = crypto.encrypt(plaintext, purpose=SigningSecret.ENCRYPTION_PURPOSE, row_id=locked.pk)
        locked.secret_version += 1
        locked.rotated_at = now
        locked.save(
            update_fields=[
                "secret_encrypted",
                "secret_version",
                "previous_secret_encrypted",
                "previous_valid_until",
                "rotated_at",
                "updated_at",
            ]
        )
        core.record(
            SIGNING_SECRET,
            "signing_secret.rotated",
            locked,
            actor,
            request,
            version=locked.secret_version,
            previous_valid_until=until.isoformat() if grace > timedelta(0) else None,
        )
    return locked, plaintext


signing_secret_revoke = SIGNING_SECRET.service(
    "revoke", "secret", "Revoke at once: the next request signed with it fails on every node. Idempotent."
)


signing_secret_update = SIGNING_SECRET.service(
    "update", "secret", "Change the name, networks, expiry, limit or metadata, or narrow the scopes (never widen)."
)


def candidate_secrets(secret: SigningSecret, *, now: Any = None) -> httpsig.SecretCandidates:
    """The secrets that may have signed a request now: the current one, and the previous during grace."""
    purpose = SigningSecret.ENCRYPTION_PURPOSE
    try:
        current = crypto.decrypt(secret.secret_encrypted, purpose=purpose, row_id=secret.pk)
        candidates = [("current", current.encode("ascii"))]
        if secret.previous_is_valid(now):
            previous = crypto.decrypt(secret.previous_secret_encrypted, purpose=purpose, row_id=secret.pk)
            candidates.append(("previous", previous.encode("ascii")))
    except crypto.DecryptionError as exc:
        logger.error("signing secret %s cannot be decrypted: %s", secret.key_id, exc)
        raise SigningUnavailable(str(exc)) from None
    return httpsig.SecretCandidates(candidates)


@dataclass
class SignedCheck:
    """A signed request that passed every rule."""

    secret: SigningSecret
    matched: str  # "current", or "previous" during a rotation's grace period
    signature: httpsig.SignatureInput


def signed_request_check(
    request: HttpRequest, *, body: bytes, ip: str | None, api_key: APIKey | None = None
) -> SignedCheck:
    """Judge an RFC 9421 `hmac-sha256` signed request; raise SignatureFailure naming the rule it broke.

    One indexed query (the key id joined with its organization). With `api_key` (API key + HMAC), the
    signature must also cover the header that carries the key, and the secret must belong to that
    key's team and environment (and to the key itself when the secret is bound to one). The nonce is
    reserved last, so a request refused for any other reason does not use it up.
    """
    parsed = httpsig.parse(request)
    extra: list[str] = []
    if api_key is not None:
        extra.append("x-api-key" if "HTTP_X_API_KEY" in request.META else "authorization")
    httpsig.check_coverage(parsed, httpsig.required_components(request, body, extra=extra))
    ident = parse_key_id(parsed.key_id)
    secret = None
    if ident is not None:
        try:
            # get() compiles no ORDER BY, unlike first(): this is the request path.
            secret = SigningSecret.objects.select_related("organization").get(pk=ident[1])
        except SigningSecret.DoesNotExist:
            secret = None
    if secret is None or ident is None or secret.environment != ident[0]:
        raise SignatureFailure(Reason.UNKNOWN_KEY_ID, key_id=parsed.key_id)
    counter = f"hs:{secret.pk}"
    try:
        now = timezone.now()
        if not secret.is_active(now):
            raise SignatureFailure(Reason.INACTIVE_KEY, key_id=parsed.key_id, log=f"state={secret.state}")
        if not secret.allows_ip(ip):
            raise SignatureFailure(Reason.FORBIDDEN_IP, key_id=parsed.key_id)
        matched = httpsig.verify_mac(request, parsed, candidate_secrets(secret, now=now))
        if api_key is not None:
            if (
                secret.organization_id != api_key.organization_id
                or secret.environment != api_key.environment
                or (secret.api_key_id is not None and secret.api_key_id != api_key.pk)
            ):
                raise SignatureFailure(Reason.KEY_MISMATCH, key_id=parsed.key_id)
        elif secret.api_key_id is not None:
            # A secret bound to an API key only ever signs together with that key.
            raise SignatureFailure(Reason.KEY_MISMATCH, key_id=parsed.key_id, log="bound secret used without its key")
        httpsig.check_digest(request, body, key_id=parsed.key_id)
        if not nonce_reserve(scope=secret.pk, nonce=parsed.nonce, ttl=httpsig.nonce_ttl()):
            raise SignatureFailure(Reason.REPLAYED, key_id=parsed.key_id)
    except SignatureFailure:
        recorder.record(counter, ip, ok=False)
        raise
    recorder.record(counter, ip, ok=True)
    return SignedCheck(secret=secret, matched=matched, signature=parsed)
