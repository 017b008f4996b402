"""Generic portal pages for every registered kind (`keys.core.registry`): list, detail, edit, revoke.

Each view checks membership first (404 for outsiders, the role half of the one rule for writes),
then makes the one service call the kind describes. The kinds' own view modules only bind a
`Kind` to these functions, so every kind's pages answer the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.portal import apply_errors, form_errors, member_or_404
from accounts.reveal import reveal_redirect
from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys.apikeys.forms import KeyEditForm, KeyRevokeForm, scopes_from_grid
from keys.core.authorization import require_write
from keys.core.errors import KeyConflict
from keys.core.registry import Kind

PAGE_SIZE = 25


def member(request: HttpRequest, slug: str, *, write: bool = False) -> Membership:
    """The caller's membership of the organization `slug` (404 for outsiders); `write` also checks the role."""
    membership = member_or_404(request, slug)
    if write:
        require_write(membership)  # the role half of the one rule; the service checks the rest
    return membership


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


def reveal(request: HttpRequest, membership: Membership, template: str, *, back: str, **context: Any) -> HttpResponse:
    """The one page that ever shows a secret, by post/redirect/get: shown once, then gone (accounts.reveal)."""
    return reveal_redirect(request, membership, template, back=back, **context)


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


def credential_list(request: HttpRequest, slug: str, *, kind: Kind) -> HttpResponse:
    membership = member(request, slug)
    org = membership.organization
    filters = list_filters(request)
    assert kind.list_query is not None, f"{kind.name} has no list page"
    page = Paginator(kind.list_query(org, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"membership": membership, "org": org, "page": page, "filters": filters, **kind.list_context(org)}
    return render(request, kind.list_template, context)


def credential_detail(request: HttpRequest, slug: str, pk: str, *, kind: Kind) -> HttpResponse:
    membership = member(request, slug)
    org = membership.organization
    credential = kind.lookup(org, pk)
    context: dict[str, Any] = {"membership": membership, "org": org, kind.context_name: credential}
    if kind.scoped:
        context["scopes"] = scope_registry.describe(credential.scopes)
    context.update(kind.detail_context(request, credential))
    context["events"] = AuditEvent.objects.filter(
        organization=org, target_type=kind.target_type, target_id=credential.pk
    )[:50]
    context["revoke_form"] = KeyRevokeForm(request=request, live=kind.is_live(credential))
    return render(request, kind.detail_template, context)


def credential_edit(request: HttpRequest, slug: str, pk: str, *, kind: Kind) -> HttpResponse:
    membership = member(request, slug, write=True)
    credential = kind.lookup(membership.organization, pk)
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
    context = {
        "membership": membership,
        "org": membership.organization,
        "credential": credential,
        "form": form,
        "kind_label": kind.label,
        "back_url": kind.detail_url,
    }
    return render(request, "keys/credential_edit.html", context)


def credential_revoke(request: HttpRequest, slug: str, pk: str, *, kind: Kind) -> HttpResponse:
    membership = member(request, slug, write=True)
    credential = kind.lookup(membership.organization, pk)
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


def write_post(view: View) -> View:
    """A form POST that changes something: signed in, POST only, the password confirmation kept out of error reports."""
    return login_required(require_POST(sensitive_post_parameters("password")(view)))


def _bound(generic: View, kind: Kind) -> View:
    @wraps(generic)
    def view(request: HttpRequest, slug: str, **kwargs: str) -> HttpResponse:
        return generic(request, slug, kwargs[kind.url_kwarg], kind=kind)

    return view


def list_view(kind: Kind) -> View:
    """The kind's list page, as a view for its URL pattern."""

    @login_required
    def view(request: HttpRequest, slug: str) -> HttpResponse:
        return credential_list(request, slug, kind=kind)

    return view


def detail_view(kind: Kind) -> View:
    return login_required(_bound(credential_detail, kind))


def edit_view(kind: Kind) -> View:
    return login_required(_bound(credential_edit, kind))


def revoke_view(kind: Kind) -> View:
    return write_post(_bound(credential_revoke, kind))
