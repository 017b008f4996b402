"""Portal pages for mTLS client certificates and certificate authorities. Membership first (404 for outsiders)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from keys import scopes as scope_registry
from keys import services
from keys.apikeys.forms import KeyEditForm, KeyRevokeForm, scopes_from_grid
from keys.apikeys.selectors import (
    active_authorities_for_org,
    authorities_for_org,
    authority_for_org,
    client_certificate_for_org,
    client_certificates_for_org,
)
from keys.apikeys.views import PAGE_SIZE, _apply_errors, _form_errors, _member
from keys.core.errors import KeyConflict
from keys.core.forms import CertificateAuthorityForm, ClientCertificateCreateForm


@login_required
def certificate_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    org = membership.organization
    filters = {
        "search": request.GET.get("q", "")[:100],
        "state": request.GET.get("status", ""),
        "environment": request.GET.get("environment", ""),
    }
    page = Paginator(client_certificates_for_org(org, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "org": org,
        "page": page,
        "filters": filters,
        "authorities": authorities_for_org(org)[:50],
        "mtls_configured": bool(settings.MTLS_TRUSTED_PROXIES),
    }
    return render(request, "keys/certificate_list.html", context)


@never_cache
@login_required
@sensitive_post_parameters("password")
def certificate_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    initial: dict[str, Any] = {"environment": request.GET.get("environment", "live")}
    authorities = active_authorities_for_org(org)
    if request.GET.get("authority"):
        initial.update(method="ca", authority=request.GET["authority"][:12])
    form = ClientCertificateCreateForm(
        request.POST or None, request.FILES or None, request=request, initial=initial, authorities=authorities
    )
    if request.method == "POST" and form.is_valid():
        try:
            cert = services.client_certificate_register(
                organization=org,
                actor=request.user,
                name=form.cleaned_data["name"],
                environment=form.cleaned_data["environment"],
                scopes=scopes_from_grid(form.cleaned_data),
                expires_at=form.expires_at(),
                allowed_networks=form.cleaned_data["allowed_networks"],
                rate_limit=form.cleaned_data["rate_limit"],
                request=request,
                **form.registration(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "match" in exc.error_dict:
                exc = ValidationError({"match_value": exc.error_dict.pop("match"), **exc.error_dict})
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Registered {cert.name}. Requests with this certificate authenticate now.")
            return redirect("keys:certificate_detail", slug=slug, cert_id=cert.pk)
    context = {"membership": membership, "org": org, "form": form, "has_authorities": authorities.exists()}
    return render(request, "keys/certificate_create.html", context)


@login_required
def certificate_detail(request: HttpRequest, slug: str, cert_id: str) -> HttpResponse:
    membership = _member(request, slug)
    cert = client_certificate_for_org(membership.organization, cert_id)
    context = {
        "membership": membership,
        "org": membership.organization,
        "cert": cert,
        "scopes": scope_registry.describe(cert.scopes),
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="client_certificate", target_id=cert.pk
        )[:50],
        "revoke_form": KeyRevokeForm(request=request, live=cert.environment == "live"),
    }
    return render(request, "keys/certificate_detail.html", context)


@login_required
def certificate_edit(request: HttpRequest, slug: str, cert_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    cert = client_certificate_for_org(membership.organization, cert_id)
    form = KeyEditForm.for_credential(cert, request.POST or None, request=request)
    form.fields["expires_on"].help_text = "At most the certificate's (or its CA's) own expiry."
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            services.client_certificate_update(certificate=cert, actor=request.user, request=request, **changes)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except KeyConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Client certificate updated.")
            return redirect("keys:certificate_detail", slug=slug, cert_id=cert.pk)
    context = {
        "membership": membership,
        "org": membership.organization,
        "credential": cert,
        "form": form,
        "kind_label": "client certificate",
        "back_url": "keys:certificate_detail",
    }
    return render(request, "keys/credential_edit.html", context)


@login_required
@require_POST
@sensitive_post_parameters("password")
def certificate_revoke(request: HttpRequest, slug: str, cert_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    cert = client_certificate_for_org(membership.organization, cert_id)
    form = KeyRevokeForm(request.POST, request=request, live=cert.environment == "live")
    if form.is_valid():
        try:
            services.client_certificate_revoke(
                certificate=cert, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Revoked {cert.name}. Requests with this certificate fail from now on.")
    else:
        messages.error(request, _form_errors(form))
    return redirect("keys:certificate_detail", slug=slug, cert_id=cert.pk)


# --- certificate authorities ---------------------------------------------------------------------


@never_cache
@login_required
@sensitive_post_parameters("password")
def authority_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    org = membership.organization
    form = CertificateAuthorityForm(request.POST or None, request.FILES or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            authority = services.certificate_authority_register(
                organization=org,
                actor=request.user,
                name=form.cleaned_data["name"],
                certificate_pem=form.cleaned_data["pem"],
                request=request,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Registered {authority.name}. Now add the identities it may issue.")
            return redirect("keys:authority_detail", slug=slug, authority_id=authority.pk)
    return render(request, "keys/authority_create.html", {"membership": membership, "org": org, "form": form})


@login_required
def authority_detail(request: HttpRequest, slug: str, authority_id: str) -> HttpResponse:
    membership = _member(request, slug)
    authority = authority_for_org(membership.organization, authority_id)
    context = {
        "membership": membership,
        "org": membership.organization,
        "authority": authority,
        "identities": authority.identities.select_related("organization").order_by("-created_at")[:100],
        "events": AuditEvent.objects.filter(
            organization=membership.organization, target_type="certificate_authority", target_id=authority.pk
        )[:50],
        "revoke_form": KeyRevokeForm(request=request, live=True),
    }
    return render(request, "keys/authority_detail.html", context)


@login_required
@require_POST
@sensitive_post_parameters("password")
def authority_revoke(request: HttpRequest, slug: str, authority_id: str) -> HttpResponse:
    membership = _member(request, slug, write=True)
    authority = authority_for_org(membership.organization, authority_id)
    form = KeyRevokeForm(request.POST, request=request, live=True)
    if form.is_valid():
        try:
            services.certificate_authority_revoke(
                authority=authority, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{authority.name} is no longer trusted. Its certificates fail from now on.")
    else:
        messages.error(request, _form_errors(form))
    return redirect("keys:authority_detail", slug=slug, authority_id=authority.pk)
