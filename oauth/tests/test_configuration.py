"""The provider is configured to RFC 9700, and configuration mistakes become system checks."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.hashers import identify_hasher
from oauth2_provider.settings import oauth2_settings

from config.middleware import CSP as PROJECT_CSP
from oauth import endpoints
from oauth.checks import check_oauth_settings
from oauth.scopes import all_oauth_scopes

pytestmark = pytest.mark.django_db


def test_the_provider_follows_the_security_bcp() -> None:
    assert oauth2_settings.PKCE_REQUIRED is True
    assert oauth2_settings.REFRESH_TOKEN_REUSE_PROTECTION is True and oauth2_settings.ROTATE_REFRESH_TOKEN is True
    assert oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS == 0
    assert oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS > 0
    assert oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS == 900
    assert oauth2_settings.DEFAULT_SCOPES == [] and "__all__" not in oauth2_settings.DEFAULT_SCOPES
    assert oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES == ["https"] and not oauth2_settings.ALLOW_URI_WILDCARDS
    for gate in ("IMPLICIT_GRANT", "PASSWORD_GRANT", "PKCE_METHOD", "TOKEN_STORAGE", "REFRESH_TOKEN"):
        assert getattr(oauth2_settings, f"COMPLIANT_BCP_RFC9700_{gate}") is True
    assert set(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    }


def test_scopes_come_from_the_registry() -> None:
    from keys import scopes as registry

    assert set(registry.all_scopes()) <= set(oauth2_settings.SCOPES)
    assert set(all_oauth_scopes()) == set(oauth2_settings.SCOPES)


def test_client_secrets_use_the_fast_hasher_and_passwords_keep_argon2(make_app, alice, settings) -> None:  # type: ignore[no-untyped-def]
    # The suite hashes passwords cheaply (root conftest); put the production list back for this test.
    settings.PASSWORD_HASHERS = importlib.import_module("config.settings").PASSWORD_HASHERS
    alice.set_password("another-long-passphrase")
    app, _ = make_app()
    assert identify_hasher(app.client_secret).algorithm == "oauth-hmac-sha256"
    assert identify_hasher(alice.password).algorithm == "argon2"


def test_a_missing_or_broken_signing_key_is_a_system_check_error(settings) -> None:  # type: ignore[no-untyped-def]
    assert check_oauth_settings() == []
    settings.OIDC_RSA_PRIVATE_KEY = ""
    assert [p.id for p in check_oauth_settings()] == ["oauth.E001"]
    settings.OIDC_RSA_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"
    assert [p.id for p in check_oauth_settings()] == ["oauth.E002"]


def test_the_restated_csp_matches_the_project_csp() -> None:
    assert endpoints.CSP == PROJECT_CSP


def test_rfc8414_metadata_is_served_at_the_root_and_under_the_issuer_path(client) -> None:  # type: ignore[no-untyped-def]
    for url in (
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-authorization-server/o",
        "/o/.well-known/oauth-authorization-server",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.json()
        assert body["issuer"].endswith("/o") and body["code_challenge_methods_supported"] == ["S256"]
        assert body["response_types_supported"] == ["code"]
        assert "implicit" not in body["grant_types_supported"] and "password" not in body["grant_types_supported"]
        assert body["device_authorization_endpoint"].endswith("/o/device-authorization/")
        assert body["jwks_uri"].endswith("/o/.well-known/jwks.json")
