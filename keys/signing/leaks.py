"""Leaked signing secrets: the holder of a key id and its secret may revoke it (the public revoke endpoint).

A signing secret's plaintext does not say which row it belongs to (it is random, and stored encrypted,
not hashed), so the holder sends the key id beside it: `{"key_id": "hs_live_…", "key": "hss_…"}`.
"""

from __future__ import annotations

import hmac

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from keys.core.leaks import SOURCE_LABELS, HolderRequest, HolderRevoker, leak_email, leak_record
from keys.models import KeyStatus, SigningSecret
from keys.signing.models import parse_key_id
from keys.signing.services import SigningUnavailable, candidate_secrets, signing_secret_revoke

_DECOY = b"hss_" + b"0" * 43


def _matches(row: SigningSecret | None, secret: str) -> bool:
    """Compare against every secret that verifies now (the previous one during a rotation's grace), or a decoy."""
    presented = secret.encode("utf-8", "surrogatepass")
    candidates = [_DECOY]
    if row is not None:
        try:
            candidates = [value for _, value in candidate_secrets(row).secrets]
        except SigningUnavailable:
            candidates = [_DECOY]
    # Every comparison runs: no early exit tells which one matched.
    results = [hmac.compare_digest(presented, value) for value in candidates]
    return row is not None and any(results)


def signing_secret_revoke_by_holder(data: HolderRequest, request: HttpRequest | None = None) -> bool:
    """Revoke the signing secret named by `data.key_id` if `data.key` is its secret; True when it was."""
    ident = parse_key_id(data.key_id)
    row = (
        SigningSecret.objects.select_related("organization", "created_by").filter(pk=ident[1] if ident else "").first()
    )
    if row is not None and (ident is None or row.environment != ident[0]):
        row = None
    if not _matches(row, data.key) or row is None:
        return False
    with transaction.atomic():
        already = row.status == KeyStatus.REVOKED
        row = signing_secret_revoke(secret=row, actor=None, reason="Leaked (public_revoke)", request=request)
        action = "already_revoked" if already else "revoked"
        org = row.organization
        leak_record(
            organization=org,
            summary=row.summary(),
            target_type="signing_secret",
            target_id=str(row.pk),
            actor=None,
            actor_label=SOURCE_LABELS["public_revoke"],
            request=request,
            details={"source": "public_revoke", "url": "", "action": action},
        )
        if not already:
            leak_email(
                organization=org,
                creator=row.created_by,
                name=row.name,
                prefix=row.key_id,
                source="public_revoke",
                url="",
                action=action,
                path=reverse("keys:signing_detail", args=[org.slug, row.pk]),
            )
    return True


HOLDER_REVOKER = HolderRevoker(
    name="signing_secret", claims=lambda data: bool(data.key_id), revoke=signing_secret_revoke_by_holder
)
