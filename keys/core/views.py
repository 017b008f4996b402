"""Generic portal pages for every registered kind (`keys.core.registry`): list, detail, edit, revoke.

Each view checks membership first (404 for outsiders, the role half of the one rule for writes),
then makes the one service call the kind describes. The kinds' own view modules only bind a
`Kind` to these functions, so every kind's pages answer the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Membership, Organization
from accounts.portal import apply_errors, form_errors, page_of, render_team, team_page
from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys.apikeys.forms import KeyEditForm, KeyRevokeForm, scopes_from_grid
from keys.core.errors import KeyConflict
from keys.core.registry import Kind
from keys.policies.models import policy_for

# A credential page (`accounts.portal.team_page`); for writes, the role half of the one rule
# (`keys.core.authorization.require_write`): the services check the rest.
credential_page = partial(team_page, viewer_message="Viewers can see credentials but not create or change them.")


def error_text(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


def attempt(request: HttpRequest, service: Callable[..., Any], **arguments: Any) -> Any | None:
    """Call `service(actor=<the signed-in person>, request=request, **arguments)`. When the rules refuse
    (ValidationError or KeyConflict), flash the reason and return None; services never return None."""
    try:
        return service(actor=request.user, request=request, **arguments)
    except (ValidationError, KeyConflict) as exc:
        messages.error(request, error_text(exc))
        return None


def create_initial(request: HttpRequest, org: Organization) -> dict[str, Any]:
    """A create form's first values: the environment asked for, and an expiry within the team's maximum lifetime."""
    initial = {"environment": request.GET.get("environment", "test")}
    max_days = policy_for(org).max_lifetime_days
    if max_days:
        initial["expiry"] = "30d" if max_days >= 30 else "7d"
    return initial


def created_fields(form: Any) -> dict[str, Any]:
    """What every kind's create form asks for, as the create service's keyword arguments."""
    data = form.cleaned_data
    return {
        "name": data["name"],
        "environment": data["environment"],
        "scopes": scopes_from_grid(data),
        "expires_at": form.expires_at(),
        "allowed_networks": data["allowed_networks"],
        "rate_limit": data["rate_limit"],
    }


def list_filters(request: HttpRequest) -> dict[str, str]:
    return {
        "search": request.GET.get("q", "")[:100],
        "state": request.GET.get("status", ""),
        "environment": request.GET.get("environment", ""),
    }


def to_detail(kind: Kind, slug: str, pk: str) -> HttpResponse:
    kwargs: dict[str, Any] = {"slug": slug, kind.url_kwarg: pk}
    return redirect(kind.detail_url, **kwargs)


def credential_list(request: HttpRequest, membership: Membership, slug: str, *, kind: Kind) -> HttpResponse:
    org = membership.organization
    filters = list_filters(request)
    assert kind.list_query is not None, f"{kind.name} has no list page"
    page = page_of(request, kind.list_query(org, **filters))
    return render_team(request, kind.list_template, membership, page=page, filters=filters, **kind.list_context(org))


def credential_detail(
    request: HttpRequest, membership: Membership, credential: Any, slug: str, *, kind: Kind
) -> HttpResponse:
    context: dict[str, Any] = {kind.context_name: credential}
    if kind.scoped:
        context["scopes"] = scope_registry.describe(credential.scopes)
    context.update(kind.detail_context(request, credential))
    context["events"] = AuditEvent.objects.filter(
        organization=membership.organization, target_type=kind.target_type, target_id=credential.pk
    )[:50]
    context["revoke_form"] = KeyRevokeForm(request=request, live=kind.is_live(credential))
    return render_team(request, kind.detail_template, membership, **context)


def credential_edit(
    request: HttpRequest, membership: Membership, credential: Any, slug: str, *, kind: Kind
) -> HttpResponse:
    form = KeyEditForm.for_credential(credential, request.POST or None, request=request)
    for name, text in kind.edit_help.items():
        form.fields[name].help_text = text
    if request.method == "POST" and form.is_valid():
        assert kind.update is not None, f"{kind.name} has no edit page"
        try:
            kind.update(credential, actor=request.user, request=request, **form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        except KeyConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, kind.updated_message)
            return to_detail(kind, slug, credential.pk)
    context = {"credential": credential, "form": form, "kind_label": kind.label, "back_url": kind.detail_url}
    return render_team(request, "keys/credential_edit.html", membership, **context)


def credential_revoke(
    request: HttpRequest, membership: Membership, credential: Any, slug: str, *, kind: Kind
) -> HttpResponse:
    form = KeyRevokeForm(request.POST, request=request, live=kind.is_live(credential))
    if form.is_valid():
        try:
            kind.revoke(credential, actor=request.user, reason=form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, kind.revoked_message.format(name=credential.name))
    else:
        messages.error(request, form_errors(form))
    return to_detail(kind, slug, credential.pk)


# --- binding a kind to the generic views -------------------------------------------------------

View = Callable[..., HttpResponse]


def _bound(generic: View, kind: Kind, **gate: Any) -> View:
    """`generic` as the kind's view for its URL pattern (`gate` as for `credential_page`)."""

    @credential_page(**gate)
    @wraps(generic)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return generic(request, *args, kind=kind, **kwargs)

    return view


def _one(generic: View, kind: Kind, **gate: Any) -> View:
    """`generic` as a page of one of the kind's credentials, found by the kind's URL kwarg."""
    return _bound(generic, kind, lookup=(kind.url_kwarg, kind.lookup), **gate)


def list_view(kind: Kind) -> View:
    """The kind's list page, as a view for its URL pattern."""
    return _bound(credential_list, kind)


def detail_view(kind: Kind) -> View:
    return _one(credential_detail, kind)


def edit_view(kind: Kind) -> View:
    return _one(credential_edit, kind, write=True)


def revoke_view(kind: Kind) -> View:
    return _one(credential_revoke, kind, write=True, post=True)
