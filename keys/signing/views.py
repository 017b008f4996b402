"""Portal pages for HMAC signing secrets. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Membership
from keys import scopes as scope_registry
from keys import services
from keys.apikeys.selectors import active_keys_for_binding, signing_secret_for_org
from keys.core.errors import KeyConflict
from keys.core.forms import SigningSecretCreateForm, SigningSecretRotateForm
from keys.core.views import apply_errors as _apply_errors
from keys.core.views import (
    created_fields,
    detail_view,
    edit_view,
    error_text,
    list_view,
    reveal,
    revoke_view,
    to_detail,
    write_post,
)
from keys.core.views import form_errors as _form_errors
from keys.core.views import member as _member
from keys.models import SigningSecret
from keys.policies.models import policy_for
from keys.signing.kind import SIGNING_SECRET


def _reveal(
    request: HttpRequest, membership: Membership, secret: SigningSecret, plaintext: str, *, rotated: bool = False
) -> HttpResponse:
    """The one page that ever shows the secret, once (post/redirect/get with a one-time token)."""
    base_url = f"{request.scheme}://{request.get_host()}"
    return reveal(
        request,
        membership,
        "keys/signing_reveal.html",
        back=reverse("keys:signing_detail", kwargs={"slug": membership.organization.slug, "secret_id": secret.pk}),
        secret=secret,
        plaintext=plaintext,
        rotated=rotated,
        base_url=base_url,
    )


signing_list = list_view(SIGNING_SECRET)


@never_cache
@login_required
@sensitive_post_parameters("password")
def signing_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    initial = {"environment": request.GET.get("environment", "test")}
    max_days = policy_for(org).max_lifetime_days
    if max_days:
        initial["expiry"] = "30d" if max_days >= 30 else "7d"
    form = SigningSecretCreateForm(
        request.POST or None, request=request, initial=initial, keys=active_keys_for_binding(org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            secret, plaintext = services.signing_secret_create(
                organization=org,
                actor=request.user,
                **created_fields(form),
                api_key=form.cleaned_data.get("api_key"),
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _reveal(request, membership, secret, plaintext)
    context = {"membership": membership, "org": org, "form": form, "resources": scope_registry.resources()}
    return render(request, "keys/signing_create.html", context)


signing_detail = detail_view(SIGNING_SECRET)
signing_edit = edit_view(SIGNING_SECRET)


@never_cache
@write_post
def signing_rotate(request: HttpRequest, slug: str, secret_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    secret = signing_secret_for_org(membership.organization, secret_id)
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
        messages.error(request, _form_errors(form))
    return to_detail(SIGNING_SECRET, slug, secret.pk)


signing_revoke = revoke_view(SIGNING_SECRET)
