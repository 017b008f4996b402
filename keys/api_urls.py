from __future__ import annotations

from types import ModuleType

from django.urls import URLPattern, path

from keys.apikeys import api
from keys.core import api as api_credentials
from keys.leaks import api as leaks
from keys.policies import api as api_policies

app_name = "keys_api"


def _credential_paths(
    prefix: str,
    name: str,
    views: str,
    *,
    actions: tuple[str, ...],
    module: ModuleType = api_credentials,
    ident: str = "ident",
) -> list[URLPattern]:
    """One management-API kind's routes: `prefix/` (list, create), `prefix/<ident>`, `prefix/<ident>/<action>`.

    The views are `<module>.<views>ListCreate`, `<views>Detail` and `<views><Action>` (`module` is
    keys.core.api unless told); the URL names `<name>_list`, `<name>_detail` and `<name>_<action>`.
    """
    routes = [
        path(f"{prefix}/", getattr(module, f"{views}ListCreate").as_view(), name=f"{name}_list"),
        path(f"{prefix}/<str:{ident}>", getattr(module, f"{views}Detail").as_view(), name=f"{name}_detail"),
    ]
    for action in actions:
        view = getattr(module, f"{views}{action.title()}").as_view()
        routes.append(path(f"{prefix}/<str:{ident}>/{action}", view, name=f"{name}_{action}"))
    return routes


urlpatterns = [
    path("whoami", api.WhoAmI.as_view(), name="whoami"),
    path("verify", api.Verify.as_view(), name="verify"),
    # The team's key-hygiene policy (docs/policies.md).
    path("policy", api_policies.CredentialPolicyView.as_view(), name="policy"),
    *_credential_paths(
        "keys", "key", "Key", actions=("roll", "revoke", "disable", "enable"), module=api, ident="key_id"
    ),
    # Leaked credentials (docs/leaks.md): anyone holding one, GitHub secret scanning, GitLab secret detection.
    path("credentials/revoke", leaks.PublicRevoke.as_view(), name="credential_public_revoke"),
    path("secret-scanning/github", leaks.GitHubSecretScanning.as_view(), name="github_secret_scanning"),
    path(
        "secret-scanning/gitlab/v1/revocable_token_types",
        leaks.GitLabRevocableTypes.as_view(),
        name="gitlab_revocable_token_types",
    ),
    path("secret-scanning/gitlab/v1/revoke", leaks.GitLabRevoke.as_view(), name="gitlab_revoke"),
    # Scheduled rotation (docs/jobs.md); usage alerts are monitoring/api_urls.py.
    path("keys/<str:key_id>/rotation-policy", api.KeyRotationPolicy.as_view(), name="key_rotation_policy"),
    # HMAC signing secrets and mTLS client certificates (docs/signing.md, docs/mtls.md).
    *_credential_paths("signing-secrets", "signing_secret", "SigningSecret", actions=("rotate", "revoke")),
    *_credential_paths("client-certificates", "client_certificate", "ClientCertificate", actions=("revoke",)),
    *_credential_paths("certificate-authorities", "certificate_authority", "CertificateAuthority", actions=("revoke",)),
]
