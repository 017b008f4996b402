"""Portal pages for OAuth apps, authorized apps and device codes.

Team pages check membership first (404 for outsiders, 403 for viewers who try to change things),
then call one service. Secrets are shown once, on the POST's own no-store answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_device_grant_model

from accounts.models import Membership
from accounts.portal import form_errors, render_team, save_form, team_page, team_url
from accounts.reveal import reveal_redirect
from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys.apikeys.forms import grid_initial, scopes_from_grid
from lib.ratelimit import hit
from oauth import scopes as oauth_scopes
from oauth import selectors, services
from oauth.endpoints import page_csp
from oauth.forms import AppCreateForm, AppDeleteForm, AppEditForm, DeviceCodeForm, SecretRotateForm
from oauth.models import Application

apps_page = functools.partial(team_page, viewer_message="Viewers can see OAuth apps but not register or change them.")
# A page of one of the team's apps: `view(request, membership, app, slug=slug)`.
_app_page = functools.partial(apps_page, lookup=("client_id", selectors.app_for_org))


def _to_app(slug: str, app: Application) -> HttpResponse:
    return redirect("oauth:detail", slug=slug, client_id=app.client_id)


_ConfirmedView = Callable[[HttpRequest, str, Membership, Application, Any], HttpResponse]


def _confirmed(
    form_class: type[forms.Form], *, no_cache: bool = False
) -> Callable[[_ConfirmedView], Callable[..., HttpResponse]]:
    """An app action the member confirms with their password: POST only; the view runs only with a valid
    `form_class` form, else a message on the app's page.
    """

    def wrap(view: _ConfirmedView) -> Callable[..., HttpResponse]:
        @_app_page(write=True, post=True, no_cache=no_cache)
        @functools.wraps(view)
        def run(request: HttpRequest, membership: Membership, app: Application, slug: str) -> HttpResponse:
            form = form_class(request.POST, request=request)  # type: ignore[call-arg]
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return _to_app(slug, app)
            return view(request, slug, membership, app, form)

        return run

    return wrap


def _endpoints(request: HttpRequest) -> dict[str, str]:
    issuer = settings.OAUTH_ISSUER
    return {
        "issuer": issuer,
        "authorize": f"{issuer}/authorize/",
        "token": f"{issuer}/token/",
        "device": f"{issuer}/device-authorization/",
        "revoke": f"{issuer}/revoke_token/",
        "userinfo": f"{issuer}/userinfo/",
        "discovery": f"{issuer}/.well-known/openid-configuration",
        "jwks": f"{issuer}/.well-known/jwks.json",
    }


def _reveal(
    request: HttpRequest, membership: Membership, app: Application, secret: str | None, *, rotated: bool = False
) -> HttpResponse:
    """The one page that ever shows a client secret, once (post/redirect/get with a one-time token)."""
    back = team_url(membership, "oauth:detail", client_id=app.client_id)
    context = {"app": app, "secret": secret, "rotated": rotated, "endpoints": _endpoints(request)}
    return reveal_redirect(request, membership, "oauth/reveal.html", back=back, **context)


def _app_settings(form: forms.Form) -> dict[str, Any]:
    """What the create and edit forms both set on an app, as the services' keyword arguments."""
    data = form.cleaned_data
    return {
        "name": data["name"],
        "grant_types": data["grant_types"],
        "redirect_uris": data["redirect_uris"].split(),
        "scopes": scopes_from_grid(data),
        "homepage_url": data["homepage_url"],
        "logo_url": data["logo_url"],
        "tls_client_certificate_bound_access_tokens": data["tls_client_certificate_bound_access_tokens"],
    }


def _created_app(form: AppCreateForm) -> dict[str, Any]:
    return {"client_type": form.cleaned_data["client_type"], **_app_settings(form)}


@apps_page()
def app_list(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    return render_team(request, "oauth/app_list.html", membership, apps=selectors.apps_for_org(membership.organization))


@apps_page(write=True, no_cache=True)
def app_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    form = AppCreateForm(
        request.POST or None, request=request, initial={"grant_types": [Application.GRANT_AUTHORIZATION_CODE]}
    )
    created = save_form(request, form, services.application_create, _created_app, organization=org)
    if created is not None:
        return _reveal(request, membership, *created)
    return render_team(request, "oauth/app_form.html", membership, form=form, resources=scope_registry.resources())


@_app_page()
def app_detail(request: HttpRequest, membership: Membership, app: Application, slug: str) -> HttpResponse:
    context = {
        "app": app,
        "counts": selectors.app_token_counts(app),
        "authorizations": selectors.authorizations_for_app(app)[:100],
        "scopes": app.api_scopes(),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, metadata__app__client_id=app.client_id
        )[:30],
        "endpoints": _endpoints(request),
        "rotate_form": SecretRotateForm(request=request),
        "delete_form": AppDeleteForm(request=request),
    }
    response = render_team(request, "oauth/app_detail.html", membership, **context)
    response["Content-Security-Policy"] = page_csp(app)
    return response


@_app_page(write=True)
def app_edit(request: HttpRequest, membership: Membership, app: Application, slug: str) -> HttpResponse:
    initial = {
        "name": app.name,
        "grant_types": app.grant_types,
        "redirect_uris": "\n".join(app.redirect_uri_list),
        "homepage_url": app.homepage_url,
        "logo_url": app.logo_url,
        "tls_client_certificate_bound_access_tokens": app.tls_client_certificate_bound_access_tokens,
        **grid_initial(app.allowed_scopes),
    }
    form = AppEditForm(request.POST or None, initial=initial)
    if save_form(request, form, services.application_update, _app_settings, application=app) is not None:
        messages.success(request, "App updated.")
        return _to_app(slug, app)
    return render_team(request, "oauth/app_form.html", membership, app=app, form=form)


@_confirmed(SecretRotateForm, no_cache=True)
def app_rotate_secret(
    request: HttpRequest, slug: str, membership: Membership, app: Application, form: SecretRotateForm
) -> HttpResponse:
    try:
        secret = services.application_rotate_secret(
            application=app,
            actor=request.user,  # type: ignore[arg-type]
            grace=timedelta(seconds=int(form.cleaned_data["grace"])),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _to_app(slug, app)
    return _reveal(request, membership, app, secret, rotated=True)


@_confirmed(AppDeleteForm)
def app_delete(
    request: HttpRequest, slug: str, membership: Membership, app: Application, form: AppDeleteForm
) -> HttpResponse:
    counts = services.application_delete(application=app, actor=request.user, request=request)  # type: ignore[arg-type]
    messages.success(
        request,
        f"Deleted {app.name}. {counts['access_tokens']} access and {counts['refresh_tokens']} refresh tokens stopped working.",
    )
    return redirect("oauth:list", slug=slug)


# --- people: the apps they authorized ------------------------------------------------------


@login_required
def authorized_apps(request: HttpRequest) -> HttpResponse:
    entries = selectors.authorized_apps_for_user(request.user)  # type: ignore[arg-type]
    rows = [(entry, oauth_scopes.describe(sorted(entry.scopes))) for entry in entries]
    return render(request, "oauth/authorized_apps.html", {"rows": rows})


@login_required
@require_POST
def authorized_app_revoke(request: HttpRequest, client_id: str) -> HttpResponse:
    entry = selectors.authorization_for_user(request.user, client_id)  # type: ignore[arg-type]
    services.authorization_revoke(
        user=request.user,  # type: ignore[arg-type]
        application=entry.application,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    messages.success(request, f"{entry.application.name} can no longer access your account.")
    return redirect("oauth:authorized_apps")


# --- device codes --------------------------------------------------------------------------


def _device_grant(user_code: str) -> Any:
    model = get_device_grant_model()
    return model.objects.filter(user_code=user_code, status=model.AUTHORIZATION_PENDING).order_by("-id").first()


@never_cache
@login_required
def device(request: HttpRequest) -> HttpResponse:
    """Where people type the code their device shows, see what it asks for, and approve or deny it."""
    form = DeviceCodeForm(request.POST or None, initial={"user_code": request.GET.get("user_code", "")[:20]})
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        # Codes carry ~40 bits; a per-person limit keeps guessing hopeless.
        window = hit(f"oauth:device-code:{request.user.pk}", settings.OAUTH_DEVICE_CODE_TRIES_PER_MINUTE)
        grant = _device_grant(form.cleaned_data["user_code"]) if window.allowed else None
        if not window.allowed:
            form.add_error("user_code", "Too many tries. Wait a minute and try again.")
        elif grant is None or grant.expires <= timezone.now():
            form.add_error(
                "user_code", "That code is not valid or has expired. Check your device for the current code."
            )
        else:
            decision = request.POST.get("decision")
            application = Application.objects.select_related("organization").filter(client_id=grant.client_id).first()
            if application is None:
                form.add_error("user_code", "That code is not valid or has expired.")
            elif decision in ("approve", "deny"):
                try:
                    services.device_decide(
                        device_grant=grant,
                        user=request.user,  # type: ignore[arg-type]
                        approve=decision == "approve",
                        request=request,
                    )
                except ValidationError as exc:
                    form.add_error("user_code", exc.messages[0])
                else:
                    return render(
                        request,
                        "oauth/device_done.html",
                        {"application": application, "approved": decision == "approve"},
                    )
            else:
                context.update(
                    application=application,
                    user_code=form.cleaned_data["user_code"],
                    scope_details=oauth_scopes.describe(grant.scope),
                )
                response = render(request, "oauth/device_confirm.html", context)
                response["Content-Security-Policy"] = page_csp(application)
                return response
    return render(request, "oauth/device.html", context)
