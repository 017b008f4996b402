"""HMAC signing secrets as a registered kind (`keys.core.registry`): their lifecycle rules and their pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from keys.core.forms import SigningSecretRotateForm
from keys.core.registry import Kind, register
from keys.models import SigningSecret
from keys.signing.selectors import signing_secret_for_org, signing_secrets_for_org


def _forget_previous(row: SigningSecret) -> list[str]:
    # The previous secret goes too: a revoked key verifies nothing, and there is nothing left to keep.
    row.previous_secret_encrypted = ""
    row.previous_valid_until = None
    return ["previous_secret_encrypted", "previous_valid_until"]


def _detail_context(request: HttpRequest, secret: SigningSecret) -> dict[str, Any]:
    return {
        "previous_valid": secret.previous_is_valid(),
        "rotate_form": SigningSecretRotateForm(request=request, live=secret.environment == "live"),
    }


SIGNING_SECRET = register(
    Kind(
        name="signing_secret",
        model=SigningSecret,
        on_revoke=_forget_previous,
        page="signing",
        context_name="secret",
        lookup=signing_secret_for_org,
        list_query=signing_secrets_for_org,
        detail_context=_detail_context,
        roll_url="keys:signing_rotate",
        revoked_message="Revoked {name}. Requests signed with it fail from now on.",
    )
)
