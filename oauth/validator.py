"""Our OAuth2Validator: DOT's, extended through its documented hooks.

- client secrets: a secret replaced by a rotation keeps working until its grace ends, and an app
  without a secret (public) can never authenticate with one;
- JWT access tokens: the `jti` the generator chose is tied to DOT's row (oauth.models.IssuedJWT);
- the device grant: the device code must belong to the authenticated client and is used once;
- RFC 8705: a token requested over mTLS is bound to the certificate (oauth.binding), an app that
  requires certificate-bound tokens gets none without one, a public client's bound refresh token
  renews only with the same certificate, and DOT's own protected endpoints (userinfo) check the binding;
- OIDC claims: name and email, by scope.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import unquote_plus

from django.contrib.auth.hashers import check_password
from oauth2_provider.models import get_device_grant_model
from oauth2_provider.oauth2_validators import OAuth2Validator as DOTValidator
from oauthlib.oauth2.rfc6749 import errors

from oauth import services
from oauth.binding import bound_thumbprint, oauthlib_request_thumbprint, same_certificate
from oauth.models import Application, CertificateBinding, IssuedJWT

logger = logging.getLogger("oauth")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _presented_credentials(request: Any) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from HTTP Basic, else from the form body."""
    auth = request.headers.get("HTTP_AUTHORIZATION") or ""
    scheme, _, value = auth.partition(" ")
    if scheme == "Basic" and value:
        try:
            # Non-ASCII text makes b64decode raise a plain ValueError, not binascii.Error.
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return None, None
        return unquote_plus(client_id), unquote_plus(secret)
    return getattr(request, "client_id", None), getattr(request, "client_secret", None)


class OAuth2Validator(DOTValidator):
    """DOT's validator with secret rotation grace, JWT bookkeeping, one-time device codes and OIDC claims."""

    # --- client authentication -----------------------------------------------------------------

    def _authenticate_basic_auth(self, request: Any) -> bool:
        # DOT's own parsing (3.4.1) lets base64.b64decode raise ValueError on non-ASCII credentials
        # (`Basic \xc3\xa9`), a 500 at /o/token/, /o/introspect/ and /o/revoke_token/; reported
        # upstream. Such credentials can never be right: refuse them here, as a failed authentication.
        value = self._extract_basic_auth(request)
        if value is not None and not value.isascii():
            logger.info("client authentication refused: non-ASCII Basic credentials")
            return False
        return bool(super()._authenticate_basic_auth(request))

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        # An app with no stored secret (a public client) must never pass secret authentication:
        # DOT would otherwise compare "" with "" and succeed.
        if not stored_secret or not provided_secret:
            return False
        return bool(super()._check_secret(provided_secret, stored_secret))

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if super().authenticate_client(request, *args, **kwargs):
            return True
        client_id, secret = _presented_credentials(request)
        if not client_id or not secret:
            return False
        client = self._load_application(client_id, request)
        if not isinstance(client, Application) or not client.previous_secret_valid():
            return False
        # Inside a rotation's grace period the replaced secret still authenticates.
        return check_password(secret, client.previous_client_secret)

    # --- grants --------------------------------------------------------------------------------

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs):
            return False
        # Checked after client authentication (oauthlib calls this next, for every grant) and before
        # a device code is claimed, so a refused request does not use the code up.
        if (
            isinstance(client, Application)
            and client.tls_client_certificate_bound_access_tokens
            and oauthlib_request_thumbprint(request) is None
        ):
            logger.info("token request without a client certificate refused (client %s)", client.client_id)
            raise errors.InvalidRequestError(
                description="This app requires certificate-bound tokens: request them over mutual TLS "
                "with your client certificate.",
                request=request,
            )
        if grant_type == DEVICE_GRANT:
            self._claim_device_code(request)
        return True

    def _claim_device_code(self, request: Any) -> None:
        """Use an approved device code once, and only for the client it was issued to.

        The conditional UPDATE is the claim: of two concurrent polls, one gets the row.
        """
        model = get_device_grant_model()
        claimed = model.objects.filter(
            device_code=request._params.get("device_code") or "",
            client_id=request.client.client_id,
            status=model.AUTHORIZED,
        ).update(status=model.EXPIRED)
        if not claimed:
            raise errors.InvalidGrantError(description="Unknown, used or unapproved device code.", request=request)

    # --- authorization-code replay ---------------------------------------------------------------

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        if isinstance(client, Application) and services.code_reuse_revoke(application=client, code=code):
            logger.warning("authorization code replayed: its tokens are revoked (client %s)", client.client_id)
        return False

    def invalidate_authorization_code(self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any) -> None:
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            # Two exchanges raced past validate_code and both minted tokens; the one that lost the
            # delete is a replay too, so everything issued from the code goes (its own tokens included).
            if isinstance(request.client, Application):
                services.code_reuse_revoke(application=request.client, code=code)
            raise

    # --- tokens --------------------------------------------------------------------------------

    def _create_access_token(
        self, expires: Any, request: Any, token: dict[str, Any], source_refresh_token: Any = None
    ) -> Any:
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        if request.grant_type == "authorization_code" and isinstance(request.client, Application):
            request.redeemed_code = services.code_redeemed(
                application=request.client, code=request.code, access_token=access_token
            )
        issued = getattr(request, "issued_jwt", None)
        if issued is not None:
            jti, jwt_expires = issued
            IssuedJWT.objects.create(access_token=access_token, jti=jti, expires=jwt_expires)
            request.issued_jwt = None
        thumbprint = oauthlib_request_thumbprint(request)
        if thumbprint is not None:
            # The JWT carries the same value in `cnf`; the row serves introspection and opaque tokens.
            CertificateBinding.objects.create(access_token=access_token, thumbprint=thumbprint)
        return access_token

    def _create_refresh_token(
        self, request: Any, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(request, refresh_token_code, access_token, previous_refresh_token)
        redeemed = getattr(request, "redeemed_code", None)
        if redeemed is not None:
            redeemed.token_family = refresh_token.token_family
            redeemed.save(update_fields=["token_family"])
        thumbprint = oauthlib_request_thumbprint(request)
        # RFC 8705 section 4: a public client has no secret, so only the certificate keeps a stolen
        # refresh token from renewing. Confidential clients authenticate on every refresh (section 7.1).
        if thumbprint is not None and isinstance(request.client, Application) and request.client.is_public:
            CertificateBinding.objects.create(refresh_token=refresh_token, thumbprint=thumbprint)
        return refresh_token

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        instance = getattr(request, "refresh_token_instance", None)
        bound = bound_thumbprint(instance) if instance is not None else None
        if bound is not None and not same_certificate(bound, oauthlib_request_thumbprint(request)):
            logger.info("certificate-bound refresh token used without its certificate (client %s)", client.client_id)
            return False
        return True

    def validate_bearer_token(self, token: str, scopes: Any, request: Any) -> bool:
        """DOT's own resource checks (userinfo): a certificate-bound token needs its certificate here too."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        bound = bound_thumbprint(request.access_token)
        if bound is not None and not same_certificate(bound, oauthlib_request_thumbprint(request)):
            logger.info("certificate-bound token used without its certificate (client %s)", request.client)
            request.oauth2_error = {"error": "invalid_token", "error_description": "The access token is invalid."}
            return False
        return True

    # --- OpenID Connect ------------------------------------------------------------------------

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {"name": user.get_full_name(), "email": user.email}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return ["sub", "name", "email"]
