"""Set-up shortcuts for second-factor tests: an authenticator app already enrolled, and its current code."""

from __future__ import annotations

import pyotp
from django.utils import timezone

from accounts.models import TOTPDevice, User
from lib import crypto


def enrol_totp(user: User) -> str:
    """Give `user` a confirmed authenticator app; returns the seed (as the app would hold it)."""
    seed = pyotp.random_base32()
    TOTPDevice.objects.update_or_create(
        user=user,
        defaults={
            "seed_ciphertext": crypto.encrypt(seed, purpose=TOTPDevice.ENCRYPTION_PURPOSE, row_id=user.pk),
            "confirmed_at": timezone.now(),
            "last_step": 0,
        },
    )
    return seed


def code_for(seed: str, *, steps_ago: int = 0) -> str:
    totp = pyotp.TOTP(seed)
    return totp.generate_otp(totp.timecode(timezone.now()) - steps_ago)
