"""OAuth scopes: the API scopes of the registry (keys.scopes) plus the OpenID Connect scopes.

An app may ask only for the API scopes its organization registered it with; the OIDC scopes are
open to apps that act for a person (authorization code, device). Nothing is granted by default
except to `client_credentials`, which gets exactly the scopes its app was registered with.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import BaseScopes

from keys import scopes as scope_registry

OIDC_SCOPES: dict[str, str] = {
    "openid": "Confirm who you are (your account id)",
    "profile": "See your name",
    "email": "See your email address",
}
PERSON_GRANTS = frozenset({"authorization-code", "urn:ietf:params:oauth:grant-type:device_code"})


def all_oauth_scopes() -> dict[str, str]:
    """Every scope an OAuth token may carry, with its description in plain words."""
    return {**scope_registry.all_scopes(), **OIDC_SCOPES}


def describe(scopes: list[str] | str) -> list[tuple[str, str]]:
    """(scope, plain-words description) for a consent or authorized-apps page, implied levels folded in."""
    names = scopes.split() if isinstance(scopes, str) else list(scopes)
    oidc = [(s, OIDC_SCOPES[s]) for s in OIDC_SCOPES if s in names]
    return oidc + scope_registry.describe([s for s in names if s not in OIDC_SCOPES])


def available_for(application: Any) -> list[str]:
    """The scopes `application` may request: its registered API scopes (with implied levels) and OIDC if it acts for people."""
    if application is None:
        return []
    api = sorted(scope_registry.expand(application.allowed_scopes))
    if any(g in PERSON_GRANTS for g in application.grant_types):
        api += list(OIDC_SCOPES)
    return api


class RegistryScopes(BaseScopes):
    """DOT's SCOPES_BACKEND_CLASS, backed by the scope registry and each app's registered scopes."""

    def get_all_scopes(self) -> dict[str, str]:
        return all_oauth_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is None:
            # Discovery documents ask without an application: everything that exists.
            return list(all_oauth_scopes())
        return available_for(application)

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any) -> list[str]:
        if application is not None and getattr(request, "grant_type", None) == "client_credentials":
            return list(application.allowed_scopes)
        return []
