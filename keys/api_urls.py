from __future__ import annotations

from django.urls import path

from keys.apikeys import api
from keys.apikeys import api as api_jobs
from keys.core import api as api_credentials

app_name = "keys_api"

urlpatterns = [
    path("whoami", api.WhoAmI.as_view(), name="whoami"),
    path("verify", api.Verify.as_view(), name="verify"),
    path("keys/", api.KeyListCreate.as_view(), name="key_list"),
    path("keys/<str:key_id>", api.KeyDetail.as_view(), name="key_detail"),
    path("keys/<str:key_id>/roll", api.KeyRoll.as_view(), name="key_roll"),
    path("keys/<str:key_id>/revoke", api.KeyRevoke.as_view(), name="key_revoke"),
    path("keys/<str:key_id>/disable", api.KeyDisable.as_view(), name="key_disable"),
    path("keys/<str:key_id>/enable", api.KeyEnable.as_view(), name="key_enable"),
    # Scheduled rotation (docs/jobs.md); usage alerts are monitoring/api_urls.py.
    path("keys/<str:key_id>/rotation-policy", api_jobs.KeyRotationPolicy.as_view(), name="key_rotation_policy"),
    # HMAC signing secrets and mTLS client certificates (docs/signing.md, docs/mtls.md).
    path("signing-secrets/", api_credentials.SigningSecretListCreate.as_view(), name="signing_secret_list"),
    path("signing-secrets/<str:ident>", api_credentials.SigningSecretDetail.as_view(), name="signing_secret_detail"),
    path(
        "signing-secrets/<str:ident>/rotate",
        api_credentials.SigningSecretRotate.as_view(),
        name="signing_secret_rotate",
    ),
    path(
        "signing-secrets/<str:ident>/revoke",
        api_credentials.SigningSecretRevoke.as_view(),
        name="signing_secret_revoke",
    ),
    path("client-certificates/", api_credentials.ClientCertificateListCreate.as_view(), name="client_certificate_list"),
    path(
        "client-certificates/<str:ident>",
        api_credentials.ClientCertificateDetail.as_view(),
        name="client_certificate_detail",
    ),
    path(
        "client-certificates/<str:ident>/revoke",
        api_credentials.ClientCertificateRevoke.as_view(),
        name="client_certificate_revoke",
    ),
    path(
        "certificate-authorities/",
        api_credentials.CertificateAuthorityListCreate.as_view(),
        name="certificate_authority_list",
    ),
    path(
        "certificate-authorities/<str:ident>",
        api_credentials.CertificateAuthorityDetail.as_view(),
        name="certificate_authority_detail",
    ),
    path(
        "certificate-authorities/<str:ident>/revoke",
        api_credentials.CertificateAuthorityRevoke.as_view(),
        name="certificate_authority_revoke",
    ),
]
