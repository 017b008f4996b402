"""Portal actions of scheduled rotation: set or clear a key's policy, rotate now, reveal a sealed successor once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from keys.forms_jobs import RotationActionForm, RotationPolicyForm, SealedRevealForm
from keys.selectors import key_for_org
from keys.services import rotation
from keys.services.errors import KeyConflict
from keys.views import _form_errors, _member
from lib.crypto import DecryptionError


def _back(slug: str, key_id: str) -> HttpResponse:
    return redirect("keys:detail", slug=slug, key_id=key_id)


@login_required
@require_POST
@sensitive_post_parameters("password")
def rotation_policy(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = RotationPolicyForm(request.POST, request=request, live=key.environment == "live")
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(slug, key.id)
    try:
        policy = rotation.rotation_policy_set(
            key=key,
            actor=request.user,  # type: ignore[arg-type]
            interval=form.interval(),
            grace=form.grace_period(),
            request=request,
        )
    except (ValidationError, KeyConflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"Rotation scheduled. Next roll: {policy.next_rotation_at:%Y-%m-%d %H:%M} UTC.")
    return _back(slug, key.id)


@login_required
@require_POST
@sensitive_post_parameters("password")
def rotation_clear(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = RotationActionForm(request.POST, request=request, live=key.environment == "live")
    if form.is_valid():
        rotation.rotation_policy_clear(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
        messages.success(request, "Scheduled rotation stopped.")
    else:
        messages.error(request, _form_errors(form))
    return _back(slug, key.id)


@login_required
@require_POST
@sensitive_post_parameters("password")
def rotation_now(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = RotationActionForm(request.POST, request=request, live=key.environment == "live")
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
@login_required
@require_POST
@sensitive_post_parameters("password")
def successor_reveal(request: HttpRequest, slug: str, key_id: str) -> HttpResponse:
    """Show the sealed secret once, as the POST's own answer with `no-store`; the ciphertext is erased first."""
    membership = _member(request, slug, write=True)
    key = key_for_org(membership.organization, key_id)
    form = SealedRevealForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(slug, key.id)
    try:
        plaintext = rotation.sealed_secret_reveal(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
    except KeyConflict as exc:
        messages.error(request, str(exc))
        return _back(slug, key.id)
    except DecryptionError:
        messages.error(request, "The sealed secret cannot be decrypted with the configured keys; roll the key instead.")
        return _back(slug, key.id)
    response = render(
        request,
        "keys/reveal.html",
        {
            "membership": membership,
            "org": membership.organization,
            "key": key,
            "plaintext": plaintext,
            "rolled_from": key.predecessor,
        },
    )
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    response["Pragma"] = "no-cache"
    return response
