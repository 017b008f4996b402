"""Portal pages for webhooks. Each view checks membership first (404 for outsiders), then calls one service."""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from accounts.models import Membership
from accounts.portal import form_errors, page_of, render_team, save_form, team_page, team_url
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

webhooks_page = functools.partial(team_page, viewer_message="Viewers can see webhooks but not create or change them.")
# A page of one of the team's endpoints: `view(request, membership, endpoint, slug=slug, ...)`.
_endpoint_page = functools.partial(webhooks_page, lookup=("endpoint_id", endpoint_for_org))


def _to_endpoint(slug: str, endpoint: Endpoint) -> HttpResponse:
    return redirect("webhooks:detail", slug=slug, endpoint_id=endpoint.id)


def _refused(request: HttpRequest, slug: str, endpoint: Endpoint, form: forms.Form) -> HttpResponse:
    messages.error(request, form_errors(form))
    return _to_endpoint(slug, endpoint)


def _endpoint_settings(form: forms.Form) -> dict[str, Any]:
    """What the create and edit forms both set on an endpoint, as the services' keyword arguments."""
    data = form.cleaned_data
    return {"url": data["url"], "description": data["description"], "event_types": data["event_types"]}


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
    back = team_url(membership, "webhooks:detail", endpoint_id=endpoint.id)
    shown = [dataclasses.asdict(secret) for secret in secrets]
    context = {"endpoint": endpoint, "secrets": shown, "mode": mode, "grace_until": grace_until}
    return reveal_redirect(request, membership, "webhooks/secret.html", back=back, **context)


@webhooks_page()
def endpoint_list(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    endpoints = list(endpoints_for_org(membership.organization))
    return render_team(request, "webhooks/endpoint_list.html", membership, endpoints=endpoints)


@webhooks_page()
def event_catalogue(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    groups = [
        (group, [(event, json.dumps(event.example_envelope(), indent=2)) for event in events])
        for group, events in catalogue.grouped()
    ]
    return render_team(request, "webhooks/event_catalogue.html", membership, groups=groups)


@webhooks_page(write=True, no_cache=True)
def endpoint_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    form = EndpointCreateForm(request.POST or None, request=request)
    created = save_form(
        request, form, services.endpoint_create, _endpoint_settings, organization=membership.organization
    )
    if created is not None:
        endpoint, plaintext = created
        secret = RevealedSecret(plaintext, endpoint.created_at, None)
        return _show_secrets(request, membership, endpoint, [secret], mode="created")
    return render_team(request, "webhooks/endpoint_form.html", membership, form=form)


@_endpoint_page()
def endpoint_detail(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    status = request.GET.get("status", "")[:16]
    event_type = request.GET.get("event_type", "")[:64]
    deliveries = deliveries_for_endpoint(endpoint, status=status, event_type=event_type)
    context = {
        "endpoint": endpoint,
        "page": page_of(request, deliveries),
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
    return render_team(request, "webhooks/endpoint_detail.html", membership, **context)


@_endpoint_page(write=True)
def endpoint_edit(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "all_events": not endpoint.event_types,
        "event_types": endpoint.event_types,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    if save_form(request, form, services.endpoint_update, _endpoint_settings, endpoint=endpoint) is not None:
        messages.success(request, "Endpoint updated.")
        return _to_endpoint(slug, endpoint)
    return render_team(request, "webhooks/endpoint_form.html", membership, endpoint=endpoint, form=form)


@_endpoint_page(write=True, post=True)
def endpoint_delete(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    services.endpoint_delete(endpoint=endpoint, actor=request.user, request=request)
    messages.success(request, f"Deleted the endpoint {endpoint.url}.")
    return redirect("webhooks:list", slug=slug)


# Actions that confirm a password and answer with a secret: never cached.
@_endpoint_page(write=True, post=True, no_cache=True)
def endpoint_secret(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    form = SecretRevealForm(request.POST, request=request)
    if not form.is_valid():
        return _refused(request, slug, endpoint, form)
    secrets = services.endpoint_secret_reveal(endpoint=endpoint, actor=request.user, request=request)
    return _show_secrets(request, membership, endpoint, secrets, mode="revealed")


@_endpoint_page(write=True, post=True, no_cache=True)
def endpoint_rotate(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    form = SecretRotateForm(request.POST, request=request)
    if not form.is_valid():
        return _refused(request, slug, endpoint, form)
    plaintext, grace_until = services.endpoint_secret_rotate(
        endpoint=endpoint, actor=request.user, grace=form.grace_period(), request=request
    )
    secret = RevealedSecret(plaintext, timezone.now(), None)
    return _show_secrets(request, membership, endpoint, [secret], mode="rotated", grace_until=grace_until)


@_endpoint_page(write=True, post=True)
def endpoint_test(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    try:
        message = services.endpoint_send_test(endpoint=endpoint, actor=request.user, request=request)
    except WebhookConflict as exc:
        messages.error(request, str(exc))
        return _to_endpoint(slug, endpoint)
    messages.success(request, "Test event queued. This page updates as it is delivered.")
    return redirect("webhooks:delivery", slug=slug, endpoint_id=endpoint.id, message_id=message.id)


@_endpoint_page(write=True, post=True)
def endpoint_disable(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    services.endpoint_disable(endpoint=endpoint, actor=request.user, request=request)
    messages.success(request, "Endpoint disabled. No events are sent to it until you enable it again.")
    return _to_endpoint(slug, endpoint)


@_endpoint_page(write=True, post=True)
def endpoint_enable(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
    services.endpoint_enable(endpoint=endpoint, actor=request.user, request=request)
    messages.success(request, "Endpoint enabled. New events are delivered again; recover the failed ones below.")
    return _to_endpoint(slug, endpoint)


@_endpoint_page(write=True, post=True)
def endpoint_recover(request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str) -> HttpResponse:
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
    return _to_endpoint(slug, endpoint)


@_endpoint_page()
def delivery_detail(
    request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str, message_id: str
) -> HttpResponse:
    delivery = delivery_for_endpoint(endpoint, message_id)
    try:
        payload = json.dumps(json.loads(delivery.message.payload), indent=2, ensure_ascii=False)
    except ValueError:
        payload = delivery.message.payload
    context = {
        "endpoint": endpoint,
        "delivery": delivery,
        "message": delivery.message,
        "payload": payload,
        "attempts": list(attempts_for(delivery)),
    }
    return render_team(request, "webhooks/delivery_detail.html", membership, **context)


@_endpoint_page(write=True, post=True)
def delivery_retry(
    request: HttpRequest, membership: Membership, endpoint: Endpoint, slug: str, message_id: str
) -> HttpResponse:
    delivery = delivery_for_endpoint(endpoint, message_id)
    try:
        services.delivery_retry(delivery=delivery, actor=request.user, request=request)
    except WebhookConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Retry queued.")
    return redirect("webhooks:delivery", slug=slug, endpoint_id=endpoint.id, message_id=delivery.message_id)
