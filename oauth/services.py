"""OAuth services: the only place that registers, changes and deletes apps, and revokes what they hold.

Each runs in one transaction and records exactly one audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
    revoke_access_token,
)
from oauth2_provider.settings import oauth2_settings

from accounts.models import Organization, User
from audit.services import audit_record
from oauth import validation as v
from oauth.models import Application, RedeemedCode
from webhooks.services import publish

MAX_GRACE = timedelta(days=30)
SECRET_BYTES = 32


def _event_data(application: Application, **extra: Any) -> dict[str, Any]:
    """The webhook payload for an app event (webhooks.catalogue): facts, never the secret."""
    return {"organization": application.organization.slug, "application": application.summary(), **extra}


def _record(
    action: str,
    application: Application,
    actor: User | None,
    request: HttpRequest | None,
    *,
    target_type: str = "oauth_app",
    target_id: Any = None,
    **metadata: Any,
) -> None:
    audit_record(
        action=action,
        organization=application.organization,
        actor=actor,
        actor_label="" if actor is not None else "system",
        target_type=target_type,
        target_id=application.client_id if target_id is None else target_id,
        request=request,
        metadata={"app": {"client_id": application.client_id, "name": application.name}, **metadata},
    )


def new_client_secret() -> str:
    """~256 random bits; stored only as a hash (oauth.hashers), shown once."""
    return secrets.token_urlsafe(SECRET_BYTES)


def _hash(secret: str) -> str:
    return make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)


def application_create(
    *,
    organization: Organization,
    actor: User,
    name: str,
    client_type: str,
    grant_types: list[str],
    redirect_uris: Any = (),
    scopes: Any = (),
    homepage_url: str = "",
    logo_url: str = "",
    can_introspect: bool = False,
    tls_client_certificate_bound_access_tokens: bool = False,
    request: HttpRequest | None = None,
) -> tuple[Application, str | None]:
    """Register an app; returns it with its client secret (None for public apps), never stored in clear."""
    client_type = v.clean_client_type(client_type)
    grants = v.clean_grant_types(grant_types, client_type=client_type)
    secret = new_client_secret() if client_type == Application.CLIENT_CONFIDENTIAL else None
    application = Application(
        organization=organization,
        created_by=actor,
        user=None,
        name=v.clean_name(name),
        client_type=client_type,
        grant_types=grants,
        authorization_grant_type=grants[0],
        redirect_uris=" ".join(v.clean_redirect_uris(list(redirect_uris), grant_types=grants)),
        allowed_scopes=v.clean_scopes(list(scopes)),
        homepage_url=v.clean_https_url(homepage_url, "homepage_url"),
        logo_url=v.clean_https_url(logo_url, "logo_url"),
        can_introspect=bool(can_introspect) and client_type == Application.CLIENT_CONFIDENTIAL,
        tls_client_certificate_bound_access_tokens=v.clean_certificate_bound(
            tls_client_certificate_bound_access_tokens
        ),
        # Hashed here, with the fast hasher, rather than by DOT's field on save.
        client_secret=_hash(secret) if secret else "",
        # A public app keeps an empty secret, which never authenticates (oauth.validator).
        hash_client_secret=secret is not None,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )
    with transaction.atomic():
        application.save()
        _record("oauth_app.created", application, actor, request, app_details=application.summary())
        publish(organization=organization, event_type="oauth_app.created", data=_event_data(application))
    return application, secret


def application_update(
    *, application: Application, actor: User, request: HttpRequest | None = None, **changes: Any
) -> Application:
    """Change an app's name, grants, redirect URIs, scopes, links, introspection or certificate-binding flag.

    Narrowing scopes or grants, or requiring certificate-bound tokens, does not touch tokens already
    issued; they run out within the access token lifetime, and refresh tokens only ever renew the
    scopes they were granted (and, once binding is required, only over mTLS).
    """
    allowed = {
        "name",
        "grant_types",
        "redirect_uris",
        "scopes",
        "homepage_url",
        "logo_url",
        "can_introspect",
        "tls_client_certificate_bound_access_tokens",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Cannot change: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        before = app.summary()
        if "name" in changes:
            app.name = v.clean_name(changes["name"])
        if "grant_types" in changes:
            app.grant_types = v.clean_grant_types(changes["grant_types"], client_type=app.client_type)
            app.authorization_grant_type = app.grant_types[0]
        if "redirect_uris" in changes or "grant_types" in changes:
            uris = changes.get("redirect_uris", app.redirect_uri_list)
            app.redirect_uris = " ".join(v.clean_redirect_uris(list(uris), grant_types=app.grant_types))
        if "scopes" in changes:
            app.allowed_scopes = v.clean_scopes(list(changes["scopes"]))
        for field in ("homepage_url", "logo_url"):
            if field in changes:
                setattr(app, field, v.clean_https_url(changes[field], field))
        if "can_introspect" in changes:
            app.can_introspect = bool(changes["can_introspect"]) and not app.is_public
        if "tls_client_certificate_bound_access_tokens" in changes:
            required = bool(changes["tls_client_certificate_bound_access_tokens"])
            # Checked only when switched on, so an app keeps being editable if mTLS is switched off later.
            if required and not app.tls_client_certificate_bound_access_tokens:
                v.clean_certificate_bound(required)
            app.tls_client_certificate_bound_access_tokens = required
        app.save()
        after = app.summary()
        changed = sorted(k for k in after if after[k] != before[k])
        _record("oauth_app.updated", app, actor, request, changed=changed, before=before, after=after)
    return app


def application_rotate_secret(
    *, application: Application, actor: User, grace: timedelta = timedelta(0), request: HttpRequest | None = None
) -> str:
    """Give a confidential app a new secret; the old one keeps working until `grace` ends. Returns the new secret."""
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValidationError({"grace": f"The grace period is between 0 and {MAX_GRACE.days} days."})
    secret = new_client_secret()
    now = timezone.now()
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if app.is_public:
            raise ValidationError("Public apps have no client secret.")
        if grace:
            app.previous_client_secret = app.client_secret
            app.previous_secret_expires_at = now + grace
        else:
            app.previous_client_secret = ""
            app.previous_secret_expires_at = None
        app.client_secret = _hash(secret)
        app.secret_rotated_at = now
        app.save(
            update_fields=[
                "client_secret",
                "previous_client_secret",
                "previous_secret_expires_at",
                "secret_rotated_at",
                "updated",
            ]
        )
        _record(
            "oauth_app.secret_rotated",
            app,
            actor,
            request,
            grace_seconds=int(grace.total_seconds()),
            old_secret_valid_until=app.previous_secret_expires_at.isoformat() if grace else None,
        )
        publish(
            organization=app.organization,
            event_type="oauth_app.secret_rotated",
            data=_event_data(app, old_secret_valid_until=app.previous_secret_expires_at),
        )
    application.refresh_from_db()
    return secret


def application_delete(*, application: Application, actor: User, request: HttpRequest | None = None) -> dict[str, int]:
    """Delete an app and everything it holds: its tokens stop working at once (JWTs via the revocation list)."""
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        counts = {
            "access_tokens": get_access_token_model().objects.filter(application=app).count(),
            "refresh_tokens": get_refresh_token_model().objects.filter(application=app, revoked__isnull=True).count(),
        }
        _record("oauth_app.deleted", app, actor, request, app_details=app.summary(), revoked=counts)
        # Device grants name the client by id, not by foreign key, so they do not cascade.
        get_device_grant_model().objects.filter(client_id=app.client_id).delete()
        # Deleting access tokens one by one fires the receivers that put each JWT on the revocation list.
        app.delete()
    return counts


def _person_tokens(user: User, application: Application) -> tuple[Any, Any]:
    access = get_access_token_model().objects.filter(user=user, application=application)
    refresh = get_refresh_token_model().objects.filter(user=user, application=application, revoked__isnull=True)
    return access, refresh


def authorization_revoke(
    *, user: User, application: Application, actor: User, request: HttpRequest | None = None
) -> int:
    """A person withdraws an app's access: every token and pending code the app holds for them is revoked."""
    with transaction.atomic():
        access, refresh = _person_tokens(user, application)
        revoked = 0
        for refresh_token in refresh.select_for_update():
            refresh_token.revoke()
            revoked += 1
        for access_token in access:
            access_token.revoke()
            revoked += 1
        get_grant_model().objects.filter(user=user, application=application).delete()
        get_device_grant_model().objects.filter(user=user, client_id=application.client_id).delete()
        _record(
            "oauth_consent.withdrawn",
            application,
            actor,
            request,
            target_type="user",
            target_id=user.pk,
            user=user.email,
            revoked=revoked,
        )
    return revoked


def token_revoke(*, token: Any, actor: User | None, request: HttpRequest | None = None, reason: str = "") -> None:
    """Revoke one access token (and the refresh token bound to it) by hand: the portal or an admin."""
    application = token.application
    with transaction.atomic():
        metadata = {
            "token_id": token.pk,
            "user": token.user.email if token.user_id else None,
            "scopes": token.scope.split(),
            "reason": reason[:200],
        }
        revoke_access_token(token)
        if application is not None:
            _record(
                "oauth_token.revoked",
                application,
                actor,
                request,
                target_type="oauth_token",
                target_id=metadata["token_id"],
                **metadata,
            )


def refresh_token_revoke(*, token: Any, actor: User | None, request: HttpRequest | None = None) -> None:
    """Revoke one refresh token (and its access token) by hand: an admin."""
    with transaction.atomic():
        application = token.application
        token.revoke()
        _record(
            "oauth_token.revoked",
            application,
            actor,
            request,
            target_type="oauth_refresh_token",
            target_id=token.pk,
            user=token.user.email if token.user_id else None,
        )


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def code_redeemed(*, application: Application, code: str, access_token: Any) -> RedeemedCode:
    """Remember what an authorization code was exchanged for, so a replay can revoke it (RedeemedCode)."""
    return RedeemedCode.objects.create(code_hash=code_hash(code), application=application, access_token=access_token)


def code_reuse_revoke(*, application: Application, code: str, request: HttpRequest | None = None) -> int:
    """An exchanged code came back: revoke every token issued from it, refresh tokens and their
    successors included (RFC 6749 section 4.1.2, RFC 9700 section 4.5.1). Returns how many exchanges
    it undid; 0 for a code that was never exchanged (unknown or merely expired)."""
    with transaction.atomic():
        rows = list(RedeemedCode.objects.filter(application=application, code_hash=code_hash(code)))
        for row in rows:
            # The family holds every refresh token rotated from the first one, and their access tokens.
            get_refresh_token_model().revoke_family(row.token_family)
            if row.access_token_id is not None:
                # Deleting the row is DOT's revocation; IssuedJWT's cascade puts a JWT's jti on the deny list.
                get_access_token_model().objects.filter(pk=row.access_token_id).delete()
        if rows:
            _record("oauth_code.reused", application, None, request, exchanges=len(rows))
            RedeemedCode.objects.filter(pk__in=[row.pk for row in rows]).update(access_token=None)
    return len(rows)


def redeemed_codes_prune() -> int:
    """Forget exchanges whose refresh tokens are surely dead (their idle expiry plus the access token's life)."""
    idle = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS or 0
    horizon = timedelta(seconds=idle + oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS) if idle else timedelta(days=90)
    deleted, _ = RedeemedCode.objects.filter(created_at__lt=timezone.now() - horizon).delete()
    return deleted


def consent_record(
    *, user: User, application: Application, scopes: list[str], grant: str, request: HttpRequest | None = None
) -> None:
    """Note that a person approved an app for `scopes` (the authorize screen or a device code)."""
    with transaction.atomic():
        _record(
            "oauth_consent.given",
            application,
            user,
            request,
            target_type="user",
            target_id=user.pk,
            scopes=list(scopes),
            grant=grant,
        )


def device_decide(*, device_grant: Any, user: User, approve: bool, request: HttpRequest | None = None) -> Any:
    """Approve or deny a pending device code for `user`; approving records the consent.

    The row is locked and must still be pending and unexpired, so a code is decided once.
    """
    model = get_device_grant_model()
    with transaction.atomic():
        grant = model.objects.select_for_update().get(pk=device_grant.pk)
        if grant.status != model.AUTHORIZATION_PENDING or grant.expires <= timezone.now():
            raise ValidationError("This code has expired or was already used. Start again on your device.")
        application = Application.objects.get(client_id=grant.client_id)
        grant.user = user
        grant.status = model.AUTHORIZED if approve else model.DENIED
        grant.save(update_fields=["user", "status"])
        if approve:
            consent_record(
                user=user, application=application, scopes=grant.scope.split(), grant="device_code", request=request
            )
    return grant
