"""django-oauth-toolkit's Application, swapped in from the first migration so apps belong to organizations.

DOT warns that swapping the model after its first migration is painful, so the swap came first;
the fields below extend it with what the portal offers (several grant types, allowed scopes,
branding, secret rotation with a grace period, the introspection flag, and the RFC 8705 flag that
makes every token certificate-bound).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from accounts.models import Organization
from keys import scopes as scope_registry

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback_uri(uri: str) -> bool:
    """An `http://` redirect to this machine (RFC 8252 native apps, local development)."""
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    except ValueError:
        return False


class Application(AbstractApplication):
    """An OAuth 2.0 / OIDC client registered by an organization.

    `grant_types` lists every grant the app may use; DOT's single `authorization_grant_type`
    keeps the first of them for DOT's own screens. Secrets are stored hashed (oauth.hashers);
    during a rotation grace the previous hash keeps working until `previous_secret_expires_at`.
    """

    # The grants the portal offers. Implicit and password are refused (RFC 9700).
    OFFERED_GRANTS = (
        AbstractApplication.GRANT_AUTHORIZATION_CODE,
        AbstractApplication.GRANT_CLIENT_CREDENTIALS,
        AbstractApplication.GRANT_DEVICE_CODE,
    )

    organization: models.ForeignKey[Organization, Organization] = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="oauth_apps"
    )
    created_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    grant_types: models.JSONField[Any, Any] = models.JSONField(
        default=list, blank=True, help_text="Every grant type this app may use."
    )
    allowed_scopes: models.JSONField[Any, Any] = models.JSONField(
        default=list, blank=True, help_text="The API scopes this app may ask for (from the scope registry)."
    )
    homepage_url: models.URLField[Any, Any] = models.URLField(max_length=500, blank=True)
    logo_url: models.URLField[Any, Any] = models.URLField(max_length=500, blank=True)
    can_introspect: models.BooleanField[Any, Any] = models.BooleanField(
        default=False,
        help_text="A resource server: may call the token introspection endpoint (RFC 7662).",
    )
    previous_client_secret: models.CharField[Any, Any] = models.CharField(
        max_length=255, blank=True, editable=False, help_text="Hash of the secret replaced by the last rotation."
    )
    previous_secret_expires_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    secret_rotated_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    # The RFC 8705 client metadata of the same name: refuse token requests made without a client certificate.
    tls_client_certificate_bound_access_tokens: models.BooleanField[Any, Any] = models.BooleanField(
        "require certificate-bound tokens",
        default=False,
        help_text="RFC 8705: token requests must come over mTLS, so every token is bound to the client certificate.",
    )

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        ordering = ("-created_at",)
        verbose_name = "OAuth app"

    def __str__(self) -> str:
        return self.name or self.client_id

    # --- DOT hooks ---------------------------------------------------------------------------

    def allows_grant_type(self, *grant_types: str) -> bool:
        granted = self.grant_types or [self.authorization_grant_type]
        return any(g in granted for g in grant_types if g in self.OFFERED_GRANTS)

    def get_allowed_schemes(self) -> list[str]:
        """https always; http only for an app that registered a loopback redirect (RFC 8252)."""
        if any(is_loopback_uri(uri) for uri in self.redirect_uris.split()):
            return ["https", "http"]
        return ["https"]

    # --- single-row truths -------------------------------------------------------------------

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC

    @property
    def redirect_uri_list(self) -> list[str]:
        return self.redirect_uris.split()

    def grant_labels(self) -> list[str]:
        labels = dict(self.GRANT_TYPES)
        return [str(labels.get(g, g)) for g in self.grant_types]

    def api_scopes(self) -> list[tuple[str, str]]:
        """(scope, description) for the API scopes it may request, in registry order."""
        return scope_registry.describe(self.allowed_scopes)

    def previous_secret_valid(self, now: datetime | None = None) -> bool:
        return bool(
            self.previous_client_secret
            and self.previous_secret_expires_at
            and (now or timezone.now()) < self.previous_secret_expires_at
        )

    def summary(self) -> dict[str, Any]:
        """Non-secret facts about the app, for events and the audit log."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "client_type": self.client_type,
            "grant_types": list(self.grant_types),
            "scopes": list(self.allowed_scopes),
            "redirect_uris": self.redirect_uri_list,
            "certificate_bound_tokens": self.tls_client_certificate_bound_access_tokens,
        }


class IssuedJWT(models.Model):
    """The `jti` of one JWT access token, tied to DOT's row for it.

    DOT revokes an access token by deleting its row; the cascade deletes this one, and its
    post_delete receiver puts the `jti` on the revocation list that offline JWT checks consult.
    """

    access_token: models.OneToOneField[Any, Any] = models.OneToOneField(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, on_delete=models.CASCADE, related_name="issued_jwt"
    )
    jti: models.CharField[Any, Any] = models.CharField(max_length=64, unique=True)
    expires: models.DateTimeField[Any, Any] = models.DateTimeField()

    class Meta:
        verbose_name = "issued JWT"

    def __str__(self) -> str:
        return f"JWT {self.jti}"


def _bound_token(model: str) -> models.OneToOneField[Any, Any]:
    """A binding's link to one of DOT's token rows (access or refresh): either may be empty, and the binding
    goes with its token."""
    return models.OneToOneField(
        model, null=True, blank=True, on_delete=models.CASCADE, related_name="certificate_binding"
    )


class CertificateBinding(models.Model):
    """RFC 8705: the client certificate (its `x5t#S256`) one token is bound to, beside DOT's row for it.

    Every bound access token has one, JWT or opaque, so introspection can report `cnf` and opaque
    tokens are checked like JWTs. A public client's refresh token gets one too (RFC 8705 section 4):
    it renews only with the same certificate. DOT's token models are not ours to extend, hence the
    side table; the cascades remove a binding with its token.
    """

    access_token = _bound_token(settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL)
    refresh_token = _bound_token(settings.OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL)
    # base64url of a SHA-256: 43 characters.
    thumbprint: models.CharField[Any, Any] = models.CharField("x5t#S256", max_length=64)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "certificate binding"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(access_token__isnull=False, refresh_token__isnull=True)
                | models.Q(access_token__isnull=True, refresh_token__isnull=False),
                name="oauth_binding_one_token",
            )
        ]

    def __str__(self) -> str:
        return f"x5t#S256 {self.thumbprint}"

    def confirmation(self) -> dict[str, str]:
        """The `cnf` member (RFC 8705 section 3.1) for this binding."""
        return {"x5t#S256": self.thumbprint}


class RedeemedCode(models.Model):
    """An authorization code that was exchanged, and what it was exchanged for (issue 10).

    DOT deletes the code's Grant row on use, so a second exchange could only be refused. RFC 6749
    section 4.1.2 and RFC 9700 section 4.5.1 ask for more: revoke every token already issued from
    the code. This row remembers them (the first access token and its refresh-token family), by
    the code's SHA-256, never the code itself. The hourly cleanup drops rows once the refresh
    tokens they point to could no longer be alive.
    """

    code_hash: models.CharField[Any, Any] = models.CharField(max_length=64, db_index=True)
    application: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    access_token: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_family: models.UUIDField[Any, Any] = models.UUIDField(null=True, blank=True)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "redeemed authorization code"

    def __str__(self) -> str:
        return f"code {self.code_hash[:12]}…"
