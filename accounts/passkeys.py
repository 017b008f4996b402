"""Passkeys (WebAuthn, through py_webauthn): registration, and authentication as a second factor or alone.

Every passkey is registered as a discoverable credential with user verification required, so one
assertion proves both something the person has and something they are or know: that is why a
passkey alone may log in (passwordless), as well as stand in for a code after a password. The
relying party is `SITE_URL`: its host is the RP ID and its origin the only accepted origin.
Challenges live in the session (one per purpose) and are consumed by the first verification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.auditing import audit_account
from accounts.models import Passkey, User
from lib import jsonlimit

CHALLENGE_SESSION_KEY = "webauthn_challenge"
MAX_PASSKEYS = 10
INVALID = "This passkey could not be verified. Try again, or use another way to sign in."


def relying_party() -> tuple[str, str]:
    """(RP ID, origin), both from SITE_URL."""
    parts = urlsplit(settings.SITE_URL)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _user_handle(user: User) -> bytes:
    """An opaque, stable WebAuthn user handle (no email in it, as the spec asks)."""
    return hashlib.sha256(f"keyhouse-webauthn-user:{user.pk}".encode()).digest()[:32]


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [
        AuthenticatorTransport(t) for t in passkey.transports if t in AuthenticatorTransport._value2member_map_
    ]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports or None)


def _remember(request: HttpRequest, purpose: str, challenge: bytes) -> None:
    request.session[CHALLENGE_SESSION_KEY] = {"purpose": purpose, "challenge": bytes_to_base64url(challenge)}


def _take_challenge(request: HttpRequest, purpose: str) -> bytes:
    stored = request.session.pop(CHALLENGE_SESSION_KEY, None)
    if not isinstance(stored, dict) or stored.get("purpose") != purpose:
        raise ValidationError("The passkey request expired. Try again.")
    return base64url_to_bytes(stored["challenge"])


def _parse(body: bytes | str) -> dict[str, Any]:
    try:
        data = jsonlimit.loads(body)
    except (ValueError, TypeError):
        raise ValidationError("The passkey response is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValidationError("The passkey response is malformed.")
    return data


# --- registration ------------------------------------------------------------------------------


def registration_options(request: HttpRequest) -> str:
    user: Any = request.user
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.SITE_NAME,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.get_full_name(),
        exclude_credentials=[_descriptor(p) for p in user.passkeys.all()],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
    )
    _remember(request, "register", options.challenge)
    return options_to_json(options)


def _verified(verify: Callable[..., Any], data: dict[str, Any], challenge: bytes, **checks: Any) -> Any:
    """py_webauthn's `verify` (of a registration or an authentication) for our relying party, the user verified;
    whatever it refuses is INVALID."""
    rp_id, origin = relying_party()
    try:
        return verify(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
            **checks,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise ValidationError(INVALID) from None


def registration_verify(*, request: HttpRequest, body: bytes | str, name: str) -> Passkey:
    user: Any = request.user
    data = _parse(body)
    challenge = _take_challenge(request, "register")
    name = (name or "").strip()[:60] or "Passkey"
    if user.passkeys.count() >= MAX_PASSKEYS:
        raise ValidationError(f"You can register at most {MAX_PASSKEYS} passkeys.")
    verified = _verified(verify_registration_response, data, challenge)
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise ValidationError("This passkey is already registered.")
    transports = data.get("response", {}).get("transports") or []
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            name=name,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=[t for t in transports if isinstance(t, str)][:8],
        )
        _audit("user.passkey_added", user, request, passkey=passkey)
    return passkey


def passkey_delete(*, user: User, passkey_id: int, request: HttpRequest | None = None) -> bool:
    with transaction.atomic():
        passkey = user.passkeys.filter(pk=passkey_id).first()
        if passkey is None:
            return False
        passkey.delete()
        _audit("user.passkey_removed", user, request, passkey=passkey)
    return True


# --- authentication ----------------------------------------------------------------------------


def authentication_options(request: HttpRequest, *, purpose: str, user: User | None = None) -> str:
    """Options for `navigator.credentials.get()`: `user`'s passkeys, or any discoverable one (passwordless)."""
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[_descriptor(p) for p in user.passkeys.all()] if user else None,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _remember(request, purpose, options.challenge)
    return options_to_json(options)


def authentication_verify(*, request: HttpRequest, body: bytes | str, purpose: str, user: User | None = None) -> User:
    """The user whose passkey signed the challenge (one of `user`'s, when given), or ValidationError."""
    data = _parse(body)
    challenge = _take_challenge(request, purpose)
    passkeys = Passkey.objects.select_related("user").filter(credential_id=data["id"], user__is_active=True)
    if user is not None:
        passkeys = passkeys.filter(user=user)
    passkey = passkeys.first()
    if passkey is None:
        raise ValidationError(INVALID)
    verified = _verified(
        verify_authentication_response,
        data,
        challenge,
        credential_public_key=bytes(passkey.public_key),
        credential_current_sign_count=passkey.sign_count,
    )
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=verified.new_sign_count, last_used_at=timezone.now())
    return passkey.user


def _audit(action: str, user: User, request: HttpRequest | None, *, passkey: Passkey) -> None:
    audit_account(action, user, actor=user, request=request, metadata={"passkey": passkey.name})
