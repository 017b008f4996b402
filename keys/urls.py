from __future__ import annotations

from django.urls import path

from accounts.portal import team_paths
from keys.apikeys import views
from keys.certificates import views as certificates
from keys.policies import views as policies
from keys.signing import views as signing

app_name = "keys"

ORG = "orgs/<slug:slug>/"
KEY = f"{ORG}keys/<str:key_id>"
STANDARD = ("list", "create", "detail", "edit", "revoke")

urlpatterns = [
    path(ORG, views.dashboard, name="dashboard"),
    *team_paths(views, "key", "keys", "key_id", pages=(*STANDARD, "roll", "disable", "enable")),
    # Scheduled rotation and the one-time reveal of a sealed successor (docs/jobs.md).
    path(f"{KEY}/rotation", views.rotation_policy, name="rotation_policy"),
    path(f"{KEY}/rotation/clear", views.rotation_clear, name="rotation_clear"),
    path(f"{KEY}/rotation/now", views.rotation_now, name="rotation_now"),
    path(f"{KEY}/reveal", views.successor_reveal, name="reveal_successor"),
    # HMAC signing secrets (docs/signing.md).
    *team_paths(signing, "signing", "signing-secrets", "secret_id", names="signing_", pages=(*STANDARD, "rotate")),
    # mTLS client certificates and certificate authorities (docs/mtls.md).
    *team_paths(certificates, "certificate", "certificates", "cert_id", names="certificate_", pages=STANDARD),
    *team_paths(
        certificates,
        "authority",
        "certificate-authorities",
        "authority_id",
        names="authority_",
        pages=("create", "detail", "revoke"),
    ),
    # Key-hygiene policies and the hygiene report (docs/policies.md).
    path(f"{ORG}policies/", policies.policies, name="policies"),
    path(f"{ORG}hygiene/", policies.hygiene_report, name="hygiene"),
    path(f"{ORG}hygiene/<str:kind>/<str:pk>/<str:action>", policies.hygiene_fix, name="hygiene_fix"),
]
