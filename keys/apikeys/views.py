"""Portal pages for API keys. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial, wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Membership
from accounts.portal import apply_errors, form_errors, page_of, render_team, save_form, team_url
from accounts.reveal import reveal_redirect
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
from keys.core.views import attempt, create_initial, created_fields, credential_page, list_filters
from keys.models import APIKey
from lib.crypto import DecryptionError


def _reveal(
    request: HttpRequest, membership: Membership, key: APIKey, plaintext: str, *, rolled_from: APIKey | None = None
) -> HttpResponse:
    """The one page that ever shows the secret, once (post/redirect/get with a one-time token)."""
    back = team_url(membership, "keys:detail", key_id=key.id)
    return reveal_redirect(
        request, membership, "keys/reveal.html", back=back, key=key, plaintext=plaintext, rolled_from=rolled_from
    )


def _back(slug: str, key_id: str) -> HttpResponse:
    return redirect("keys:detail", slug=slug, key_id=key_id)


KeyAction = Callable[[HttpRequest, Membership, APIKey, Any], HttpResponse | None]


# A page of one of the team's keys: `view(request, membership, key, slug=slug)`.
_key_page = partial(credential_page, lookup=("key_id", key_for_org))


def _key_action(form_class: Any, *, no_cache: bool = False) -> Callable[[KeyAction], Callable[..., HttpResponse]]:
    """A POST that changes one key, confirmed with a `form_class` form; the view runs only with a valid
    form, else the form's errors as a message. Back on the key's page unless the view answers itself."""

    def wrap(view: KeyAction) -> Callable[..., HttpResponse]:
        @_key_page(write=True, post=True, no_cache=no_cache)
        @wraps(view)
        def run(request: HttpRequest, membership: Membership, key: APIKey, slug: str) -> HttpResponse:
            form = form_class(request.POST, request=request, live=key.environment == "live")
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return _back(slug, key.id)
            answer = view(request, membership, key, form)
            return _back(slug, key.id) if answer is None else answer

        return run

    return wrap


@credential_page()
def dashboard(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    context = {
        "counts": key_counts(org),
        "recent_keys": keys_for_org(org)[:5],
        "recent_events": AuditEvent.objects.filter(organization=org)[:8],
    }
    return render_team(request, "keys/dashboard.html", membership, **context)


@credential_page()
def key_list(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    filters = list_filters(request)
    page = page_of(request, keys_for_org(membership.organization, **filters))
    return render_team(request, "keys/key_list.html", membership, page=page, filters=filters)


@credential_page(write=True, no_cache=True)
def key_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    form = KeyCreateForm(request.POST or None, request=request, initial=create_initial(request, org))
    created = save_form(request, form, services.key_create, created_fields, organization=org)
    if created is not None:
        return _reveal(request, membership, *created)
    return render_team(request, "keys/key_create.html", membership, form=form, resources=scope_registry.resources())


@_key_page()
def key_detail(request: HttpRequest, membership: Membership, key: APIKey, slug: str) -> HttpResponse:
    live = key.environment == "live"
    context = {
        "key": key,
        "successor": key_successor(key),
        "scopes": scope_registry.describe(key.scopes),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="api_key", target_id=key.id
        )[:50],
        "roll_form": KeyRollForm(request=request, live=live),
        "revoke_form": KeyRevokeForm(request=request, live=live),
        "status_form": KeyStatusForm(request=request, live=live),
        "scanner_regex": tokens.scanner_regex(key.prefix),
    }
    return render_team(request, "keys/key_detail.html", membership, **context)


@_key_page(write=True)
def key_edit(request: HttpRequest, membership: Membership, key: APIKey, slug: str) -> HttpResponse:
    form = KeyEditForm.for_credential(key, request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.key_update(key=key, actor=request.user, request=request, **changes)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        except KeyConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Key updated.")
            return _back(slug, key.id)
    return render_team(request, "keys/key_edit.html", membership, key=key, form=form)


@_key_action(KeyRollForm, no_cache=True)
def key_roll(request: HttpRequest, membership: Membership, key: APIKey, form: KeyRollForm) -> HttpResponse | None:
    grace = timedelta(seconds=int(form.cleaned_data["grace"]))
    rolled = attempt(request, services.key_roll, key=key, grace=grace)
    if rolled is None:
        return None
    successor, plaintext = rolled
    return _reveal(request, membership, successor, plaintext, rolled_from=key)


@_key_action(KeyRevokeForm)
def key_revoke(request: HttpRequest, membership: Membership, key: APIKey, form: KeyRevokeForm) -> None:
    if attempt(request, services.key_revoke, key=key, reason=form.cleaned_data["reason"]) is not None:
        messages.success(request, f"Revoked {key.name}. Requests with it fail from now on.")


def _status_change(*, enable: bool) -> Callable[..., HttpResponse]:
    """The disable or enable button of a key."""

    @_key_action(KeyStatusForm)
    def change(request: HttpRequest, membership: Membership, key: APIKey, form: KeyStatusForm) -> None:
        if attempt(request, services.key_enable if enable else services.key_disable, key=key) is not None:
            messages.success(request, f"{'Enabled' if enable else 'Disabled'} {key.name}.")

    return change


key_disable = _status_change(enable=False)
key_enable = _status_change(enable=True)


@_key_action(RotationPolicyForm)
def rotation_policy(request: HttpRequest, membership: Membership, key: APIKey, form: RotationPolicyForm) -> None:
    policy = attempt(
        request, rotation.rotation_policy_set, key=key, interval=form.interval(), grace=form.grace_period()
    )
    if policy is not None:
        messages.success(request, f"Rotation scheduled. Next roll: {policy.next_rotation_at:%Y-%m-%d %H:%M} UTC.")


@_key_action(RotationActionForm)
def rotation_clear(request: HttpRequest, membership: Membership, key: APIKey, form: RotationActionForm) -> None:
    rotation.rotation_policy_clear(key=key, actor=request.user, request=request)  # type: ignore[arg-type]
    messages.success(request, "Scheduled rotation stopped.")


@_key_action(RotationActionForm)
def rotation_now(request: HttpRequest, membership: Membership, key: APIKey, form: RotationActionForm) -> None:
    if attempt(request, rotation.rotation_rotate_now, key=key) is not None:
        messages.success(
            request, "Rotation queued. The job rolls the key in a moment; reload this page to see the sealed successor."
        )


@_key_page(write=True, post=True, no_cache=True)
def successor_reveal(request: HttpRequest, membership: Membership, key: APIKey, slug: str) -> HttpResponse:
    """Show the sealed secret once, as the POST's own answer with `no-store`; the ciphertext is erased first."""
    form = SealedRevealForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, form_errors(form))
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
