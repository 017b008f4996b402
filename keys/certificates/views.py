"""Portal pages for mTLS client certificates and certificate authorities. Membership first (404 for outsiders)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from accounts.models import Membership
from accounts.portal import apply_errors, render_team
from keys import services
from keys.apikeys.selectors import active_authorities_for_org
from keys.certificates.kind import CERTIFICATE_AUTHORITY, CLIENT_CERTIFICATE
from keys.core.forms import CertificateAuthorityForm, ClientCertificateCreateForm
from keys.core.views import created_fields, credential_page, detail_view, edit_view, list_view, revoke_view, to_detail

certificate_list = list_view(CLIENT_CERTIFICATE)


@credential_page(write=True, no_cache=True)
def certificate_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    initial: dict[str, Any] = {"environment": request.GET.get("environment", "test")}
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
                **created_fields(form),
                request=request,
                **form.registration(),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "match" in exc.error_dict:
                exc = ValidationError({"match_value": exc.error_dict.pop("match"), **exc.error_dict})
            apply_errors(form, exc)
        else:
            messages.success(request, f"Registered {cert.name}. Requests with this certificate authenticate now.")
            return to_detail(CLIENT_CERTIFICATE, slug, cert.pk)
    return render_team(
        request, "keys/certificate_create.html", membership, form=form, has_authorities=authorities.exists()
    )


certificate_detail = detail_view(CLIENT_CERTIFICATE)
certificate_edit = edit_view(CLIENT_CERTIFICATE)
certificate_revoke = revoke_view(CLIENT_CERTIFICATE)


# --- certificate authorities ---------------------------------------------------------------------


@credential_page(write=True, no_cache=True)
def authority_create(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    form = CertificateAuthorityForm(request.POST or None, request.FILES or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            authority = services.certificate_authority_register(
                organization=membership.organization,
                actor=request.user,
                name=form.cleaned_data["name"],
                certificate_pem=form.cleaned_data["pem"],
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Registered {authority.name}. Now add the identities it may issue.")
            return to_detail(CERTIFICATE_AUTHORITY, slug, authority.pk)
    return render_team(request, "keys/authority_create.html", membership, form=form)


authority_detail = detail_view(CERTIFICATE_AUTHORITY)
authority_revoke = revoke_view(CERTIFICATE_AUTHORITY)
