"""Portal pages for HMAC signing secrets. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from accounts.models import Membership
from accounts.portal import form_errors, render_team, save_form, team_url
from accounts.reveal import reveal_redirect
from keys import scopes as scope_registry
from keys import services
from keys.apikeys.selectors import active_keys_for_binding, signing_secret_for_org
from keys.core.errors import KeyConflict
from keys.core.forms import SigningSecretCreateForm, SigningSecretRotateForm
from keys.core.views import (
    create_initial,
    created_fields,
    credential_page,
    detail_view,
    edit_view,
    error_text,
    list_view,
    revoke_view,
    to_detail,
)
from keys.models import SigningSecret
from keys.signing.kind import SIGNING_SECRET


def _reveal(
    request: HttpRequest, membership: Membership, secret: SigningSecret, plaintext: str, *, rotated: bool = False
) -> HttpResponse:
    """The one page that ever shows the secret, once (post/redirect/get with a one-time token)."""
    back = team_url(membership, "keys:signing_detail", secret_id=secret.pk)
    context = {
        "secret": secret,
        "plaintext": plaintext,
        "rotated": rotated,
        "base_url": f"{request.scheme}://{request.get_host()}",
    }
    return reveal_redirect(request, membership, "keys/signing_reveal.html", back=back, **context)


def _created_fields(form: SigningSecretCreateForm) -> dict[str, Any]:
    """A new secret's fields: every kind's, and the API key it is bound to (if any)."""
    return {**created_fields(form), "api_key": form.cleaned_data.get("api_key")}


signing_list = list_view(SIGNING_SECRET)


@credential_page(write=True, no_cache=True)
def signing_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    form = SigningSecretCreateForm(
        request.POST or None, request=request, initial=create_initial(request, org), keys=active_keys_for_binding(org)
    )
    created = save_form(request, form, services.signing_secret_create, _created_fields, organization=org)
    if created is not None:
        return _reveal(request, membership, *created)
    return render_team(request, "keys/signing_create.html", membership, form=form, resources=scope_registry.resources())


signing_detail = detail_view(SIGNING_SECRET)
signing_edit = edit_view(SIGNING_SECRET)


@credential_page(write=True, post=True, no_cache=True, lookup=("secret_id", signing_secret_for_org))
def signing_rotate(request: HttpRequest, membership: Membership, secret: SigningSecret, slug: str) -> HttpResponse:
    form = SigningSecretRotateForm(request.POST, request=request, live=secret.environment == "live")
    if form.is_valid():
        try:
            secret, plaintext = services.signing_secret_rotate(
                secret=secret,
                actor=request.user,
                grace=timedelta(seconds=int(form.cleaned_data["grace"])),
                request=request,
            )
        except (ValidationError, KeyConflict) as exc:
            messages.error(request, error_text(exc))
        else:
            return _reveal(request, membership, secret, plaintext, rotated=True)
    else:
        messages.error(request, form_errors(form))
    return to_detail(SIGNING_SECRET, slug, secret.pk)


signing_revoke = revoke_view(SIGNING_SECRET)
