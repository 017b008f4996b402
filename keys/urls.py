from __future__ import annotations

from django.urls import path

from keys.apikeys import views
from keys.apikeys import views as views_rotation
from keys.certificates import views as certificates
from keys.policies import views as policies
from keys.signing import views as signing

app_name = "keys"

ORG = "orgs/<slug:slug>/"
SECRET = f"{ORG}signing-secrets/<str:secret_id>"
CERT = f"{ORG}certificates/<str:cert_id>"
AUTHORITY = f"{ORG}certificate-authorities/<str:authority_id>"

urlpatterns = [
    path("orgs/<slug:slug>/", views.dashboard, name="dashboard"),
    path("orgs/<slug:slug>/keys/", views.key_list, name="list"),
    path("orgs/<slug:slug>/keys/new", views.key_create, name="create"),
    path("orgs/<slug:slug>/keys/<str:key_id>/", views.key_detail, name="detail"),
    path("orgs/<slug:slug>/keys/<str:key_id>/edit", views.key_edit, name="edit"),
    path("orgs/<slug:slug>/keys/<str:key_id>/roll", views.key_roll, name="roll"),
    path("orgs/<slug:slug>/keys/<str:key_id>/revoke", views.key_revoke, name="revoke"),
    path("orgs/<slug:slug>/keys/<str:key_id>/disable", views.key_disable, name="disable"),
    path("orgs/<slug:slug>/keys/<str:key_id>/enable", views.key_enable, name="enable"),
    # Scheduled rotation and the one-time reveal of a sealed successor (docs/jobs.md).
    path("orgs/<slug:slug>/keys/<str:key_id>/rotation", views_rotation.rotation_policy, name="rotation_policy"),
    path("orgs/<slug:slug>/keys/<str:key_id>/rotation/clear", views_rotation.rotation_clear, name="rotation_clear"),
    path("orgs/<slug:slug>/keys/<str:key_id>/rotation/now", views_rotation.rotation_now, name="rotation_now"),
    path("orgs/<slug:slug>/keys/<str:key_id>/reveal", views_rotation.successor_reveal, name="reveal_successor"),
    # HMAC signing secrets (docs/signing.md).
    path(f"{ORG}signing-secrets/", signing.signing_list, name="signing_list"),
    path(f"{ORG}signing-secrets/new", signing.signing_create, name="signing_create"),
    path(f"{SECRET}/", signing.signing_detail, name="signing_detail"),
    path(f"{SECRET}/edit", signing.signing_edit, name="signing_edit"),
    path(f"{SECRET}/rotate", signing.signing_rotate, name="signing_rotate"),
    path(f"{SECRET}/revoke", signing.signing_revoke, name="signing_revoke"),
    # mTLS client certificates and certificate authorities (docs/mtls.md).
    path(f"{ORG}certificates/", certificates.certificate_list, name="certificate_list"),
    path(f"{ORG}certificates/new", certificates.certificate_create, name="certificate_create"),
    path(f"{CERT}/", certificates.certificate_detail, name="certificate_detail"),
    path(f"{CERT}/edit", certificates.certificate_edit, name="certificate_edit"),
    path(f"{CERT}/revoke", certificates.certificate_revoke, name="certificate_revoke"),
    path(f"{ORG}certificate-authorities/new", certificates.authority_create, name="authority_create"),
    path(f"{AUTHORITY}/", certificates.authority_detail, name="authority_detail"),
    path(f"{AUTHORITY}/revoke", certificates.authority_revoke, name="authority_revoke"),
    # Key-hygiene policies and the hygiene report (docs/policies.md).
    path(f"{ORG}policies/", policies.policies, name="policies"),
    path(f"{ORG}hygiene/", policies.hygiene_report, name="hygiene"),
    path(f"{ORG}hygiene/<str:kind>/<str:pk>/<str:action>", policies.hygiene_fix, name="hygiene_fix"),
]
