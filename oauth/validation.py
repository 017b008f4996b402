"""Input rules for registering and changing OAuth apps (portal, admin and tests share them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from keys import scopes as scope_registry
from lib.http import csp_origin
from oauth.models import LOOPBACK_HOSTS, Application

MAX_NAME = 100
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 500
GRANT_NAMES = {
    Application.GRANT_AUTHORIZATION_CODE: "Authorization code",
    Application.GRANT_CLIENT_CREDENTIALS: "Client credentials",
    Application.GRANT_DEVICE_CODE: "Device authorization",
}


def clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the app a name."})
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"Names are at most {MAX_NAME} characters."})
    return name


def clean_client_type(client_type: Any) -> str:
    if client_type not in (Application.CLIENT_CONFIDENTIAL, Application.CLIENT_PUBLIC):
        raise ValidationError(
            {"client_type": "Choose confidential (a server) or public (a browser, mobile or CLI app)."}
        )
    return str(client_type)


def clean_grant_types(grant_types: Any, *, client_type: str) -> list[str]:
    """A non-empty subset of the offered grants, in a fixed order; implicit and password never."""
    if not isinstance(grant_types, (list, tuple, set)) or not grant_types:
        raise ValidationError({"grant_types": "Choose at least one grant type."})
    unknown = [g for g in grant_types if g not in GRANT_NAMES]
    if unknown:
        raise ValidationError(
            {"grant_types": "Only authorization code, client credentials and device grants are offered."}
        )
    if client_type == Application.CLIENT_PUBLIC and Application.GRANT_CLIENT_CREDENTIALS in grant_types:
        raise ValidationError(
            {"grant_types": "Client credentials need a secret, so only confidential apps can use them."}
        )
    return [g for g in GRANT_NAMES if g in grant_types]


def clean_redirect_uri(uri: str) -> str:
    """https, or http to localhost/loopback (any port, RFC 8252); no wildcards, fragments or credentials."""
    if len(uri) > MAX_URI_LENGTH:
        raise ValidationError(f"Redirect URIs are at most {MAX_URI_LENGTH} characters.")
    if "*" in uri:
        raise ValidationError(f"{uri[:80]}: wildcards are not allowed; register each URI exactly.")
    if "#" in uri:
        raise ValidationError(f"{uri[:80]}: redirect URIs cannot have a fragment (#…).")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise ValidationError(f"{uri[:80]}: not a valid URL.") from None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("https", "http"):
        raise ValidationError(f"{uri[:80]}: use an absolute https:// URL.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(f"{uri[:80]}: redirect URIs cannot carry credentials.")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValidationError(f"{uri[:80]}: http is only allowed for localhost and loopback addresses; use https.")
    if port is not None and not 0 < port < 65536:
        raise ValidationError(f"{uri[:80]}: the port is out of range.")
    return uri


def clean_redirect_uris(value: Any, *, grant_types: list[str]) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, (list, tuple)) or not all(isinstance(u, str) for u in value):
        raise ValidationError({"redirect_uris": "Redirect URIs must be a list of URLs."})
    uris: list[str] = []
    errors: list[str] = []
    for uri in value:
        try:
            cleaned = clean_redirect_uri(uri.strip())
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if cleaned not in uris:
            uris.append(cleaned)
    if errors:
        raise ValidationError({"redirect_uris": errors})
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError({"redirect_uris": f"At most {MAX_REDIRECT_URIS} redirect URIs."})
    if Application.GRANT_AUTHORIZATION_CODE in grant_types and not uris:
        raise ValidationError({"redirect_uris": "The authorization code grant needs at least one redirect URI."})
    return uris


def clean_scopes(scopes: Any) -> list[str]:
    if not isinstance(scopes, (list, tuple, set)) or not all(isinstance(s, str) for s in scopes):
        raise ValidationError({"scopes": "Scopes must be a list of strings."})
    bad = scope_registry.unknown(scopes)
    if bad:
        raise ValidationError({"scopes": f"Unknown scope(s): {', '.join(bad)}."})
    return scope_registry.normalize(scopes)


def clean_https_url(value: Any, field: str) -> str:
    if not value:
        return ""
    if not isinstance(value, str) or len(value) > MAX_URI_LENGTH:
        raise ValidationError({field: f"At most {MAX_URI_LENGTH} characters."})
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        raise ValidationError({field: "Not a valid URL."}) from None
    if parts.scheme != "https" or not parts.hostname or parts.username is not None or "@" in parts.netloc:
        raise ValidationError({field: "Use an https:// URL."})
    if csp_origin(value.strip()) is None:
        # The logo's origin goes into the consent page's CSP: `;`, `,`, quotes or spaces could add directives.
        raise ValidationError({field: "Use a plain https:// URL: no spaces, quotes, commas or semicolons."})
    return value.strip()


def clean_certificate_bound(value: Any) -> bool:
    """RFC 8705's `tls_client_certificate_bound_access_tokens`: only where client certificates can arrive."""
    required = bool(value)
    if required and not settings.MTLS_TRUSTED_PROXIES:
        raise ValidationError(
            {
                "tls_client_certificate_bound_access_tokens": "This server does not accept client certificates "
                "(no trusted mTLS proxy is configured), so it cannot issue certificate-bound tokens."
            }
        )
    return required
