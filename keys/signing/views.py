"""Portal pages for HMAC signing secrets. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Membership
from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys import services
from keys.apikeys.forms import KeyEditForm, KeyRevokeForm, scopes_from_grid
from keys.apikeys.selectors import active_keys_for_binding, signing_secret_for_org, signing_secrets_for_org
from keys.apikeys.views import PAGE_SIZE, _apply_errors, _form_errors, _member
from keys.core.errors import KeyConflict
from keys.core.forms import SigningSecretCreateForm, SigningSecretRotateForm
from keys.models import SigningSecret


def _reveal(
    request: HttpRequest, membership: Membership, secret: SigningSecret, plaintext: str, *, rotated: bool = False
) -> HttpResponse:
    """The one page that ever shows the secret: the POST's own answer, never stored, never redirected to."""
    response = render(
        request,
        "keys/signing_reveal.html",
        {
            "membership": membership,
            "org": membership.organization,
            "secret": secret,
            "plaintext": plaintext,
            "rotated": rotated,
            "base_url": f"{request.scheme}://{request.get_host()}",
        },
    )
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    response["Pragma"] = "no-cache"
    return response


@login_required
def signing_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    filters = {
        "search": request.GET.get("q", "")[:100],
        "state": request.GET.get("status", ""),
        "environment": request.GET.get("environment", ""),
    }
    secrets = signing_secrets_for_org(membership.organization, **filters)
    page = Paginator(secrets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"membership": membership, "org": membership.organization, "page": page, "filters": filters}
    return render(request, "keys/signing_list.html", context)


@never_cache
@login_required
@sensitive_post_parameters("password")
def signing_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    initial = {"environment": request.GET.get("environment", "live")}
    if org.max_key_lifetime_days:
        initial["expiry"] = "30d" if org.max_key_lifetime_days >= 30 else "7d"
    form = SigningSecretCreateForm(
        request.POST or None, request=request, initial=initial, keys=active_keys_for_binding(org)
    )
    if request.method == "POST" and form.is_valid():
        try:
            secret, plaintext = services.signing_secret_create(
                organization=org,
                actor=request.user,
                name=form.cleaned_data["name"],
                environment=form.cleaned_data["environment"],
                scopes=scopes_from_grid(form.cleaned_data),
                expires_at=form.expires_at(),
                allowed_networks=form.cleaned_data["allowed_networks"],
                rate_limit=form.cleaned_data["rate_limit"],
                api_key=form.cleaned_data.get("api_key"),
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _reveal(request, membership, secret, plaintext)
    context = {"membership": membership, "org": org, "form": form, "resources": scope_registry.resources()}
    return render(request, "keys/signing_create.html", context)


@login_required
def signing_detail(request: HttpRequest, slug: str, secret_id: str) -> HttpResponse:
    membership = _member(request, slug)
    secret = signing_secret_for_org(membership.organization, secret_id)
    live = secret.environment == "live"
    context = {
        "membership": membership,
        "org": membership.organization,
        "secret": secret,
        "scopes": scope_registry.describe(secret.scopes),
        "previous_valid": secret.previous_is_valid(),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="signing_secret", target_id=secret.pk
        )[:50],
        "rotate_form": SigningSecretRotateForm(request=request, live=live),
        "revoke_form": KeyRevokeForm(request=request, live=live),
    }
    return render(request, "keys/signing_detail.html", context)


@login_required
def signing_edit(request: HttpRequest, slug: str, secret_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    secret = signing_secret_for_org(membership.organization, secret_id)
    form = KeyEditForm.for_credential(secret, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.signing_secret_update(secret=secret, actor=request.user, request=request, **changes)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except KeyConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Signing secret updated.")
            return redirect("keys:signing_detail", slug=slug, secret_id=secret.pk)
    context = {
        "membership": membership,
        "org": membership.organization,
        "credential": secret,
        "form": form,
        "kind_label": "signing secret",
        "back_url": "keys:signing_detail",
    }
    return render(request, "keys/credential_edit.html", context)


@never_cache
@login_required
@require_POST
@sensitive_post_parameters("password")
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
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            return _reveal(request, membership, secret, plaintext, rotated=True)
    else:
        messages.error(request, _form_errors(form))
    return redirect("keys:signing_detail", slug=slug, secret_id=secret.pk)


@login_required
@require_POST
@sensitive_post_parameters("password")
def signing_revoke(request: HttpRequest, slug: str, secret_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    secret = signing_secret_for_org(membership.organization, secret_id)
    form = KeyRevokeForm(request.POST, request=request, live=secret.environment == "live")
    if form.is_valid():
        try:
            services.signing_secret_revoke(
                secret=secret, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Revoked {secret.name}. Requests signed with it fail from now on.")
    else:
        messages.error(request, _form_errors(form))
    return redirect("keys:signing_detail", slug=slug, secret_id=secret.pk)
