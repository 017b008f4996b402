"""Portal pages for webhooks. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Membership
from accounts.portal import form_errors, member_or_404, submit
from accounts.reveal import reveal_redirect
from audit.models import AuditEvent
from webhooks import catalogue, services
from webhooks.forms import EndpointCreateForm, EndpointEditForm, RecoverForm, SecretRevealForm, SecretRotateForm
from webhooks.models import DeliveryStatus, Endpoint
from webhooks.selectors import (
    attempts_for,
    deliveries_for_endpoint,
    delivery_counts,
    delivery_for_endpoint,
    endpoint_for_org,
    endpoints_for_org,
    secrets_for,
)
from webhooks.services import RevealedSecret, WebhookConflict

PAGE_SIZE = 25

ViewFunc = Callable[..., HttpResponse]


def _member(request: HttpRequest, slug: str, *, write: bool = False) -> Membership:
    return member_or_404(
        request, slug, write=write, viewer_message="Viewers can see webhooks but not create or change them."
    )


def _endpoint(request: HttpRequest, slug: str, endpoint_id: str, *, write: bool = False) -> tuple[Membership, Endpoint]:
    """The member and their team's endpoint; 404 for outsiders and for another team's endpoint."""
    membership = _member(request, slug, write=write)
    return membership, endpoint_for_org(membership.organization, endpoint_id)


def _endpoint_settings(data: dict[str, Any]) -> dict[str, Any]:
    """What the create and edit forms both set on an endpoint, as the services' keyword arguments."""
    return {"url": data["url"], "description": data["description"], "event_types": data["event_types"]}


_Saved = TypeVar("_Saved")


def _save_settings(
    request: HttpRequest, form: forms.Form, service: Callable[..., _Saved], **target: Any
) -> _Saved | None:
    """On a valid POST of the create or edit form, `service(**target)` with the form's settings; else None
    (not posted, invalid, or the service's ValidationError now on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    settings = _endpoint_settings(form.cleaned_data)
    return submit(form, lambda: service(**target, actor=request.user, **settings, request=request))


def _secret_post(view: ViewFunc) -> ViewFunc:
    """The gate of every action that confirms a password and answers with a secret: POST, signed in, never
    cached, and the password kept out of error reports."""
    return never_cache(login_required(require_POST(sensitive_post_parameters("password")(view))))


def _refused(request: HttpRequest, slug: str, endpoint: Endpoint, form: forms.Form) -> HttpResponse:
    messages.error(request, form_errors(form))
    return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)


def _show_secrets(
    request: HttpRequest,
    membership: Membership,
    endpoint: Endpoint,
    secrets: list[RevealedSecret],
    *,
    mode: str,
    grace_until: datetime | None = None,
) -> HttpResponse:
    """The only pages that show a signing secret, each once (post/redirect/get with a one-time token)."""
    back = reverse("webhooks:detail", kwargs={"slug": membership.organization.slug, "endpoint_id": endpoint.id})
    return reveal_redirect(
        request,
        membership,
        "webhooks/secret.html",
        back=back,
        endpoint=endpoint,
        secrets=[dataclasses.asdict(secret) for secret in secrets],
        mode=mode,
        grace_until=grace_until,
    )


@login_required
def endpoint_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    context = {
        "membership": membership,
        "org": membership.organization,
        "endpoints": list(endpoints_for_org(membership.organization)),
    }
    return render(request, "webhooks/endpoint_list.html", context)


@login_required
def event_catalogue(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    groups = [
        (group, [(event, json.dumps(event.example_envelope(), indent=2)) for event in events])
        for group, events in catalogue.grouped()
    ]
    context = {"membership": membership, "org": membership.organization, "groups": groups}
    return render(request, "webhooks/event_catalogue.html", context)


@never_cache
@login_required
@sensitive_post_parameters("password")
def endpoint_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    form = EndpointCreateForm(request.POST or None, request=request)
    created = _save_settings(request, form, services.endpoint_create, organization=org)
    if created is not None:
        endpoint, plaintext = created
        secret = RevealedSecret(plaintext, endpoint.created_at, None)
        return _show_secrets(request, membership, endpoint, [secret], mode="created")
    context = {"membership": membership, "org": org, "form": form}
    return render(request, "webhooks/endpoint_form.html", context)


@login_required
def endpoint_detail(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id)
    status = request.GET.get("status", "")[:16]
    event_type = request.GET.get("event_type", "")[:64]
    deliveries = deliveries_for_endpoint(endpoint, status=status, event_type=event_type)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "org": membership.organization,
        "endpoint": endpoint,
        "page": page,
        "filters": {"status": status, "event_type": event_type},
        "statuses": [*DeliveryStatus.values, "retrying"],
        "event_names": catalogue.names(),
        "counts": delivery_counts(endpoint),
        "secret_rows": list(secrets_for(endpoint)),
        "reveal_form": SecretRevealForm(request=request),
        "rotate_form": SecretRotateForm(request=request),
        "recover_form": RecoverForm(),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="webhook_endpoint", target_id=endpoint.id
        )[:20],
    }
    return render(request, "webhooks/endpoint_detail.html", context)


@login_required
def endpoint_edit(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "all_events": not endpoint.event_types,
        "event_types": endpoint.event_types,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    if _save_settings(request, form, services.endpoint_update, endpoint=endpoint) is not None:
        messages.success(request, "Endpoint updated.")
        return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)
    context = {"membership": membership, "org": membership.organization, "endpoint": endpoint, "form": form}
    return render(request, "webhooks/endpoint_form.html", context)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    services.endpoint_delete(endpoint=endpoint, actor=request.user, request=request)
    messages.success(request, f"Deleted the endpoint {endpoint.url}.")
    return redirect("webhooks:list", slug=slug)


@_secret_post
def endpoint_secret(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    form = SecretRevealForm(request.POST, request=request)
    if not form.is_valid():
        return _refused(request, slug, endpoint, form)
    secrets = services.endpoint_secret_reveal(endpoint=endpoint, actor=request.user, request=request)
    return _show_secrets(request, membership, endpoint, secrets, mode="revealed")


@_secret_post
def endpoint_rotate(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    form = SecretRotateForm(request.POST, request=request)
    if not form.is_valid():
        return _refused(request, slug, endpoint, form)
    plaintext, grace_until = services.endpoint_secret_rotate(
        endpoint=endpoint, actor=request.user, grace=form.grace_period(), request=request
    )
    secret = RevealedSecret(plaintext, timezone.now(), None)
    return _show_secrets(request, membership, endpoint, [secret], mode="rotated", grace_until=grace_until)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    try:
        message = services.endpoint_send_test(endpoint=endpoint, actor=request.user, request=request)
    except WebhookConflict as exc:
        messages.error(request, str(exc))
        return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)
    messages.success(request, "Test event queued. This page updates as it is delivered.")
    return redirect("webhooks:delivery", slug=slug, endpoint_id=endpoint.id, message_id=message.id)


def _set_enabled(request: HttpRequest, slug: str, endpoint_id: str, *, enable: bool) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    if enable:
        services.endpoint_enable(endpoint=endpoint, actor=request.user, request=request)
        messages.success(request, "Endpoint enabled. New events are delivered again; recover the failed ones below.")
    else:
        services.endpoint_disable(endpoint=endpoint, actor=request.user, request=request)
        messages.success(request, "Endpoint disabled. No events are sent to it until you enable it again.")
    return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)


@login_required
@require_POST
def endpoint_disable(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    return _set_enabled(request, slug, endpoint_id, enable=False)


@login_required
@require_POST
def endpoint_enable(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    return _set_enabled(request, slug, endpoint_id, enable=True)


@login_required
@require_POST
def endpoint_recover(request: HttpRequest, slug: str, endpoint_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    form = RecoverForm(request.POST)
    if form.is_valid():
        try:
            count = services.deliveries_recover(
                endpoint=endpoint, actor=request.user, since=form.cleaned_data["since"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except WebhookConflict as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Sending {count} failed message{'s' if count != 1 else ''} again.")
    else:
        messages.error(request, form_errors(form))
    return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)


@login_required
def delivery_detail(request: HttpRequest, slug: str, endpoint_id: str, message_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id)
    delivery = delivery_for_endpoint(endpoint, message_id)
    try:
        payload = json.dumps(json.loads(delivery.message.payload), indent=2, ensure_ascii=False)
    except ValueError:
        payload = delivery.message.payload
    context = {
        "membership": membership,
        "org": membership.organization,
        "endpoint": endpoint,
        "delivery": delivery,
        "message": delivery.message,
        "payload": payload,
        "attempts": list(attempts_for(delivery)),
    }
    return render(request, "webhooks/delivery_detail.html", context)


@login_required
@require_POST
def delivery_retry(request: HttpRequest, slug: str, endpoint_id: str, message_id: str) -> HttpResponse:
    membership, endpoint = _endpoint(request, slug, endpoint_id, write=True)
    delivery = delivery_for_endpoint(endpoint, message_id)
    try:
        services.delivery_retry(delivery=delivery, actor=request.user, request=request)
    except WebhookConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Retry queued.")
    return redirect("webhooks:delivery", slug=slug, endpoint_id=endpoint.id, message_id=delivery.message_id)
