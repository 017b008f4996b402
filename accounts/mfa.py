"""Second factors: TOTP (RFC 6238) with single-use recovery codes, and the login's second step.

pyotp does the RFC 6238 arithmetic; the seed is ours to keep, sealed with the keyring
(`lib.crypto`, purpose `totp-seed`), and recovery codes are stored as SHA-256 hashes (they are
random, 50 bits each, so a fast hash is enough). A code is accepted once: the device remembers the
time step of the last code it took, and a conditional UPDATE claims a newer step, so two requests
racing with the same code cannot both pass. Passkeys live in `accounts.passkeys`.

A login with a second factor happens in two steps: the password form (django-axes counts its
failures) leaves only a short-lived "pending" note in the session, and the user is logged in once
`login_pending_verify` (a code) or a passkey proves the second factor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import pyotp
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.auditing import audit_account
from accounts.models import Organization, RecoveryCode, TOTPDevice, User
from accounts.services import sudo_open
from lib import crypto

PENDING_SESSION_KEY = "mfa_pending"
SETUP_SESSION_KEY = "mfa_totp_setup"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
# Wrong codes allowed per user in FAILURE_WINDOW seconds, across sessions, before codes are refused.
MAX_FAILURES = 10
FAILURE_WINDOW = 15 * 60


class SecondFactorRequired(PermissionDenied):
    """403: the team requires a second factor and this person has none yet (the portal sends them to enrol)."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        super().__init__(f"{organization.name} requires a second factor. Set up an authenticator app or a passkey.")


def has_second_factor(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_second_factor())


def teams_requiring_enrolment(user: User) -> list[Organization]:
    """The user's teams that require a second factor, when the user has none (else empty)."""
    teams = list(Organization.objects.filter(memberships__user=user, require_mfa=True).order_by("name"))
    return teams if teams and not has_second_factor(user) else []


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _seed(device: TOTPDevice) -> str:
    return crypto.decrypt(device.seed_ciphertext, purpose=TOTPDevice.ENCRYPTION_PURPOSE, row_id=device.user_id)


# --- enrolment ---------------------------------------------------------------------------------


def totp_setup_seed(request: HttpRequest) -> str:
    """The seed being set up in this session (kept in the session only until a code confirms it)."""
    seed = request.session.get(SETUP_SESSION_KEY)
    if not isinstance(seed, str):
        seed = pyotp.random_base32()
        request.session[SETUP_SESSION_KEY] = seed
    return seed


def totp_provisioning_uri(user: User, seed: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=user.email, issuer_name=settings.SITE_NAME)


def totp_enable(*, request: HttpRequest, code: str) -> list[str]:
    """Confirm the seed shown in set-up with a first code; store it sealed. Returns fresh recovery codes."""
    user: Any = request.user
    seed = request.session.get(SETUP_SESSION_KEY)
    step = _matching_step(seed, code, after=0) if isinstance(seed, str) else None
    if step is None or not isinstance(seed, str):
        raise ValidationError({"code": "That code is not right. Check the time on your phone and try again."})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # Sealed to the user's id (the device's row id for the keyring), so a ciphertext never opens on another row.
        sealed = crypto.encrypt(seed, purpose=TOTPDevice.ENCRYPTION_PURPOSE, row_id=user.pk)
        TOTPDevice.objects.create(user=user, seed_ciphertext=sealed, confirmed_at=timezone.now(), last_step=step)
        codes = recovery_codes_regenerate(user=user, request=request, audited=False)
        _audit("user.mfa_totp_enabled", user, request)
    request.session.pop(SETUP_SESSION_KEY, None)
    return codes


def totp_disable(*, user: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        if deleted:
            if not user.passkeys.exists():
                RecoveryCode.objects.filter(user=user).delete()
            _audit("user.mfa_totp_disabled", user, request)


def recovery_codes_regenerate(*, user: User, request: HttpRequest | None = None, audited: bool = True) -> list[str]:
    """Replace every recovery code; the plaintext exists only in what is returned (shown once)."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_code_hash(c)) for c in codes)
        if audited:
            _audit("user.mfa_recovery_codes_regenerated", user, request)
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- checking a code -------------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def _matching_step(seed: str, code: str, *, after: int) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is `code`, if newer than `after`."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit()) or len(code) != 6:
        return None
    totp = pyotp.TOTP(seed)
    now = totp.timecode(timezone.now())
    for step in (now - 1, now, now + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _failure_key(user: User) -> str:
    return f"mfa-failures:{user.pk}"


def verify_code(*, user: User, code: str) -> str | None:
    """Check a TOTP code or a recovery code; returns "totp" or "recovery_code", or None. Each works once."""
    key = _failure_key(user)
    if (cache.get(key) or 0) >= MAX_FAILURES:
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is not None:
        step = _matching_step(_seed(device), code, after=device.last_step)
        # Claim the step: only one request can move last_step past it.
        if step is not None and TOTPDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step):
            return "totp"
    if len(code.strip()) == 13 and (
        RecoveryCode.objects.filter(user=user, code_hash=_code_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    ):
        return "recovery_code"
    cache.add(key, 0, timeout=FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=FAILURE_WINDOW)
    return None


# --- the login's second step -------------------------------------------------------------------


def login_pending_start(request: HttpRequest, user: User, *, redirect_to: str) -> None:
    """The password was right and the user has a second factor: remember who, briefly, without logging in."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "until": time.time() + PENDING_SECONDS,
        "next": redirect_to,
    }


def login_pending(request: HttpRequest) -> tuple[User, str] | None:
    """The user half-way through logging in (password checked), and where they were going."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return (user, str(pending.get("next") or "")) if user else None


def login_pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
    request.session.pop("mfa_failures", None)


def sudo_confirm_code(*, request: HttpRequest, code: str) -> bool:
    """Sudo mode by a TOTP or recovery code instead of the password."""
    user: Any = request.user
    method = verify_code(user=user, code=code)
    if method:
        sudo_open(request)
    _audit("user.reauthenticated" if method else "user.reauthentication_failed", user, request, method=method or "code")
    return method is not None


def factor_verified(request: HttpRequest, user: User, method: str) -> None:
    """Audit a second factor that was just proved (at login or for sudo mode)."""
    _audit("user.mfa_verified", user, request, method=method)


def factor_failed(request: HttpRequest, user: User, method: str) -> None:
    _audit("user.mfa_failed", user, request, method=method)


def _audit(action: str, user: User, request: HttpRequest | None, **metadata: Any) -> None:
    audit_account(action, user, actor=user, request=request, metadata=metadata)
