"""HMAC signing secrets as a registered kind: what the generic portal views need (`keys.core.registry`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from keys import services
from keys.apikeys.selectors import signing_secret_for_org, signing_secrets_for_org
from keys.core.forms import SigningSecretRotateForm
from keys.core.registry import Kind, register
from keys.models import SigningSecret


def _detail_context(request: HttpRequest, secret: SigningSecret) -> dict[str, Any]:
    return {
        "previous_valid": secret.previous_is_valid(),
        "rotate_form": SigningSecretRotateForm(request=request, live=secret.environment == "live"),
    }


SIGNING_SECRET = register(
    Kind(
        name="signing_secret",
        model=SigningSecret,
        label="signing secret",
        target_type="signing_secret",
        url_kwarg="secret_id",
        detail_url="keys:signing_detail",
        context_name="secret",
        lookup=signing_secret_for_org,
        list_query=signing_secrets_for_org,
        list_template="keys/signing_list.html",
        detail_template="keys/signing_detail.html",
        detail_context=_detail_context,
        update=lambda secret, **kw: services.signing_secret_update(secret=secret, **kw),
        revoke=lambda secret, **kw: services.signing_secret_revoke(secret=secret, **kw),
        revoked_message="Revoked {name}. Requests signed with it fail from now on.",
    )
)
