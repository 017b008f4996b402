"""Portal pages for API keys. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Membership
from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys import services
from keys.apikeys import rotation, sealed, tokens
from keys.apikeys.forms import (
    KeyCreateForm,
    KeyEditForm,
    KeyRevokeForm,
    KeyRollForm,
    KeyStatusForm,
    RotationActionForm,
    RotationPolicyForm,
    SealedRevealForm,
)
from keys.apikeys.selectors import key_counts, key_for_org, key_successor, keys_for_org
from keys.core.errors import KeyConflict
from keys.core.views import PAGE_SIZE, attempt, created_fields, reveal, write_post
from keys.core.views import apply_errors as _apply_errors
from keys.core.views import form_errors as _form_errors
from keys.core.views import member as _member
from keys.models import APIKey
from keys.policies.models import policy_for
from lib.crypto import DecryptionError

__all__ = ["PAGE_SIZE", "_apply_errors", "_form_errors", "_member"]


def _reveal(
    request: HttpRequest, membership: Membership, key: APIKey, plaintext: str, *, rolled_from: APIKey | None = None
) -> HttpResponse:
    """The one page that ever shows the secret, once (post/redirect/get with a one-time token)."""
    back = reverse("keys:detail", kwargs={"slug": membership.organization.slug, "key_id": key.id})
    return reveal(
        request, membership, "keys/reveal.html", back=back, key=key, plaintext=plaintext, rolled_from=rolled_from
    )


def _posted(request: HttpRequest, slug: str, key_id: str, form_class: Any) -> tuple[Membership, APIKey, Any]:
    """A write POST on one key: the membership (404 for outsiders, role checked), the key, the bound form."""
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    return membership, key, form_class(request.POST, request=request, live=key.environment == "live")


def _back(slug: str, key_id: str) -> HttpResponse:
    return redirect("keys:detail", slug=slug, key_id=key_id)


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    org = membership.organization
    context = {
        "membership": membership,
        "org": org,
        "counts": key_counts(org),
        "recent_keys": keys_for_org(org)[:5],
        "recent_events": AuditEvent.objects.filter(organization=org)[:8],
    }
    return render(request, "keys/dashboard.html", context)


@login_required
def key_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    filters = {
        "search": request.GET.get("q", "")[:100],
        "state": request.GET.get("status", ""),
        "environment": request.GET.get("environment", ""),
    }
    page = Paginator(keys_for_org(membership.organization, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"membership": membership, "org": membership.organization, "page": page, "filters": filters}
    return render(request, "keys/key_list.html", context)


@never_cache
@login_required
@sensitive_post_parameters("password")
def key_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    initial = {"environment": request.GET.get("environment", "test")}
    max_days = policy_for(org).max_lifetime_days
    if max_days:
        initial["expiry"] = "30d" if max_days >= 30 else "7d"
    form = KeyCreateForm(request.POST or None, request=request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            key, plaintext = services.key_create(
                organization=org,
                actor=request.user,  # type: ignore[arg-type]
                **created_fields(form),
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _reveal(request, membership, key, plaintext)
    context = {"membership": membership, "org": org, "form": form, "resources": scope_registry.resources()}
    return render(request, "keys/key_create.html", context)


@login_required
def key_detail(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = _member(request, slug)
    key = key_for_org(membership.organization, key_id)
    context = {
        "membership": membership,
        "org": membership.organization,
        "key": key,
        "successor": key_successor(key),
        "scopes": scope_registry.describe(key.scopes),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="api_key", target_id=key.id
        )[:50],
        "roll_form": KeyRollForm(request=request, live=key.environment == "live"),
        "revoke_form": KeyRevokeForm(request=request, live=key.environment == "live"),
        "status_form": KeyStatusForm(request=request, live=key.environment == "live"),
        "scanner_regex": tokens.scanner_regex(key.prefix),
    }
    return render(request, "keys/key_detail.html", context)


@login_required
def key_edit(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = KeyEditForm.for_credential(key, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.key_update(key=key, actor=request.user, request=request, **changes)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(form, exc)
        except KeyConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Key updated.")
            return _back(slug, key.id)
    context = {"membership": membership, "org": membership.organization, "key": key, "form": form}
    return render(request, "keys/key_edit.html", context)


@never_cache
@write_post
def key_roll(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, KeyRollForm)
    if form.is_valid():
        grace = timedelta(seconds=int(form.cleaned_data["grace"]))
        rolled = attempt(request, services.key_roll, key=key, grace=grace)
        if rolled is not None:
            successor, plaintext = rolled
            return _reveal(request, membership, successor, plaintext, rolled_from=key)
    else:
        messages.error(request, _form_errors(form))
    return _back(slug, key.id)


@write_post
def key_revoke(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, KeyRevokeForm)
    if form.is_valid():
        try:
            services.key_revoke(key=key, actor=request.user, reason=form.cleaned_data["reason"], request=request)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Revoked {key.name}. Requests with it fail from now on.")
    else:
        messages.error(request, _form_errors(form))
    return _back(slug, key.id)


def _status_change(request: HttpRequest, slug: str, key_id: str, *, enable: bool) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, KeyStatusForm)
    if form.is_valid():
        service = services.key_enable if enable else services.key_disable
        try:
            service(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
        except KeyConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{'Enabled' if enable else 'Disabled'} {key.name}.")
    else:
        messages.error(request, _form_errors(form))
    return _back(slug, key.id)


@write_post
def key_disable(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    return _status_change(request, slug, key_id, enable=False)


@write_post
def key_enable(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    return _status_change(request, slug, key_id, enable=True)


@write_post
def rotation_policy(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, RotationPolicyForm)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(slug, key.id)
    policy = attempt(
        request, rotation.rotation_policy_set, key=key, interval=form.interval(), grace=form.grace_period()
    )
    if policy is not None:
        messages.success(request, f"Rotation scheduled. Next roll: {policy.next_rotation_at:%Y-%m-%d %H:%M} UTC.")
    return _back(slug, key.id)


@write_post
def rotation_clear(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, RotationActionForm)
    if form.is_valid():
        rotation.rotation_policy_clear(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
        messages.success(request, "Scheduled rotation stopped.")
    else:
        messages.error(request, _form_errors(form))
    return _back(slug, key.id)


@write_post
def rotation_now(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership, key, form = _posted(request, slug, key_id, RotationActionForm)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(slug, key.id)
    try:
        rotation.rotation_rotate_now(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
    except KeyConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Rotation queued. The job rolls the key in a moment; reload this page to see the sealed successor."
        )
    return _back(slug, key.id)


@never_cache
@write_post
def successor_reveal(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    """Show the sealed secret once, as the POST's own answer with `no-store`; the ciphertext is erased first."""
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = SealedRevealForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(slug, key.id)
    try:
        plaintext = sealed.sealed_secret_reveal(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
    except KeyConflict as exc:
        messages.error(request, str(exc))
        return _back(slug, key.id)
    except DecryptionError:
        messages.error(request, "The sealed secret cannot be decrypted with the configured keys; roll the key instead.")
        return _back(slug, key.id)
    return _reveal(request, membership, key, plaintext, rolled_from=key.predecessor)
