"""DRF authentication (DESIGN 6): what the company's API imports.

`APIKeyAuthentication` (API keys), `SignedRequestAuthentication` (RFC 9421 HMAC-signed requests),
`SignedAPIKeyAuthentication` (API key + HMAC) and `ClientCertificateAuthentication` (mTLS).
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.http.request import RawPostDataException
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from audit.services import client_ip
from keys.apikeys.verification import Code, brute_force_window, key_check
from keys.certificates.services import CERT_MESSAGES, CertCode, client_certificate_check
from keys.core.principal import CredentialUser
from keys.signing import httpsig
from keys.signing.httpsig import Reason, SignatureFailure
from keys.signing.services import SignedCheck, SigningUnavailable, signed_request_check
from lib.conf import Snapshot
from lib.http import bearer_token
from lib.metrics import observe_authentication

FAILED_MESSAGE = "Invalid or inactive API key."
logger = logging.getLogger("keys.auth")
_conf = Snapshot("KEYS_PREFIX")  # read on every request


class TooManyFailures(exceptions.Throttled):
    """429 after too many failed attempts from one IP or against one key id."""

    error_code = "too_many_failures"


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`, or None when neither carries ours.

    A Bearer token that does not start with our prefix is left for other schemes (OAuth access
    tokens). Anything looser than the exact forms (a leading space, another keyword) is not ours.
    """
    meta = request._request.META  # not request.META: DRF's __getattr__ proxy costs more than the rest of this
    header = meta.get("HTTP_X_API_KEY")
    if header is not None:
        return header
    token = bearer_token(meta.get("HTTP_AUTHORIZATION"))
    if token is None or not token.startswith(f"{_conf.KEYS_PREFIX}_"):
        return None
    return token


class CredentialAuthentication(BaseAuthentication):
    """What every credential scheme shares: the `WWW-Authenticate` challenge and how a credential is accepted."""

    www_authenticate_realm = "api"
    challenge = ""  # the scheme's name in `WWW-Authenticate`

    def challenge_params(self) -> str:
        return ""

    def authenticate_header(self, request: Request) -> str:
        return f'{self.challenge} realm="{self.www_authenticate_realm}"{self.challenge_params()}'

    @staticmethod
    def accept(request: Request, credential: Any) -> tuple[CredentialUser, Any]:
        """The (user, auth) pair for `credential`; the middleware adds Deprecation/Sunset and rate-limit headers from it."""
        request._request.credential = credential  # type: ignore[attr-defined]
        return CredentialUser(credential), credential


class APIKeyAuthentication(CredentialAuthentication):
    """Authenticate `Authorization: Bearer <key>` or `X-API-Key: <key>` against stored API keys."""

    challenge = "Bearer"

    @observe_authentication("api_key")
    def authenticate(self, request: Request) -> tuple[CredentialUser, Any] | None:
        raw = presented_key(request)
        if raw is None:
            return None
        ip = client_ip(request)
        check = key_check(raw, ip=ip)
        if check.code is not Code.VALID:
            exceeded = brute_force_window(ip=ip, key_id=check.key_id)
            if exceeded is not None:
                exc = TooManyFailures(wait=exceeded.reset)
                exc.extra_headers = exceeded.headers()  # type: ignore[attr-defined]
                raise exc
            raise exceptions.AuthenticationFailed(FAILED_MESSAGE)
        assert check.key is not None
        return self.accept(request, check.key)


# --- HMAC-signed requests (RFC 9421) ---------------------------------------------------------------


class SignatureAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 naming the signature rule that failed (`detail.reason`), with `Accept-Signature` saying what to sign."""

    error_code = "invalid_signature"

    def __init__(self, failure: SignatureFailure, *, extra_components: tuple[str, ...] = ()) -> None:
        super().__init__(str(failure))
        self.error_detail = {"reason": failure.reason.value}
        self.extra_headers = {"Accept-Signature": httpsig.accept_signature_header(extra_components)}


class SigningUnavailableError(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Signed requests cannot be checked right now."
    error_code = "signing_unavailable"


def _raw_body(request: Request) -> bytes:
    """The body exactly as received, which Content-Digest covers (read before DRF parses it)."""
    try:
        return request._request.body
    except RawPostDataException:
        # Something read the stream before authentication; the digest cannot be checked honestly.
        raise SignatureAuthenticationFailed(SignatureFailure(Reason.MISSING_DIGEST)) from None


class _Deprecated:
    """What `CredentialHeadersMiddleware` reads to send Deprecation/Sunset: a request signed with a rotated-out
    secret that still works during its grace period."""

    def __init__(self, check: SignedCheck) -> None:
        self.grace_until = check.secret.previous_valid_until
        self.rolled_at = check.secret.rotated_at


def _check_signature(request: Request, *, api_key: Any = None) -> SignedCheck:
    django_request: HttpRequest = request._request
    ip = client_ip(request)
    extra: tuple[str, ...] = ()
    if api_key is not None:
        extra = ("x-api-key",) if "HTTP_X_API_KEY" in request.META else ("authorization",)
    try:
        check = signed_request_check(django_request, body=_raw_body(request), ip=ip, api_key=api_key)
    except SignatureFailure as failure:
        logger.info(
            "signed request refused: reason=%s key_id=%s ip=%s %s",
            failure.reason.value,
            failure.key_id,
            ip,
            failure.log,
        )
        exceeded = brute_force_window(ip=ip, key_id=failure.key_id)
        if exceeded is not None:
            exc = TooManyFailures(wait=exceeded.reset)
            exc.extra_headers = exceeded.headers()  # type: ignore[attr-defined]
            raise exc from None
        raise SignatureAuthenticationFailed(failure, extra_components=extra) from None
    except SigningUnavailable:
        raise SigningUnavailableError() from None
    if check.matched == "previous":
        django_request.credential = _Deprecated(check)  # type: ignore[attr-defined]
    return check


class SignedRequestAuthentication(CredentialAuthentication):
    """Authenticate an RFC 9421 `hmac-sha256` signed request by its signing secret (`keyid`).

    Ours when the request carries `Signature-Input` or `Signature`. Every rule (coverage, age, nonce,
    Content-Digest, key, MAC) must pass; a failure is a 401 whose `detail.reason` names the rule.
    `request.auth` is the `SigningSecret`.
    """

    challenge = "Signature"

    @observe_authentication("signing_secret")
    def authenticate(self, request: Request) -> tuple[CredentialUser, Any] | None:
        if not httpsig.is_signed(request._request):
            return None
        secret = _check_signature(request).secret
        return CredentialUser(secret), secret

    def challenge_params(self) -> str:
        return f', alg="{httpsig.ALGORITHM}"'


class SignedAPIKeyAuthentication(APIKeyAuthentication):
    """API key + HMAC (as AWS does): the API key says who calls, the signature proves the request is intact.

    Ours when the request carries an API key. The key is checked exactly as by `APIKeyAuthentication`;
    then the request must also be signed, covering the header that carries the key, by a signing
    secret of the key's team and environment (and of that key, when the secret is bound to one).
    `request.auth` is the API key; `request.signing_secret` the secret that signed.
    """

    def authenticate(self, request: Request) -> tuple[CredentialUser, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, key = result
        if not httpsig.is_signed(request._request):
            raise SignatureAuthenticationFailed(
                SignatureFailure(Reason.MISSING_SIGNATURE, key_id=None),
                extra_components=("x-api-key",) if "HTTP_X_API_KEY" in request.META else ("authorization",),
            )
        check = _check_signature(request, api_key=key)
        request._request.signing_secret = check.secret  # type: ignore[attr-defined]
        return user, key


# --- mTLS client certificates ------------------------------------------------------------------------


class CertificateAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 naming why the client certificate was refused (`detail.reason`)."""

    error_code = "invalid_client_certificate"

    def __init__(self, code: CertCode) -> None:
        super().__init__(CERT_MESSAGES[code])
        self.error_detail = {"reason": code.value}


_OTHER_CREDENTIALS = ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY", "HTTP_SIGNATURE_INPUT", "HTTP_SIGNATURE")


class ClientCertificateAuthentication(CredentialAuthentication):
    """Authenticate by the mTLS client certificate a trusted proxy forwarded (`MTLS_CLIENT_CERT_HEADER`).

    Ours when that header arrives from an address in `MTLS_TRUSTED_PROXIES` (from anywhere else it is
    ignored) and the request carries no other credential: next to a bearer token the certificate binds
    the token (RFC 8705, mTLS + JWT) instead of being the credential. `request.auth` is the
    `ClientCertificate`.
    """

    challenge = "Mutual-TLS"

    @observe_authentication("client_certificate")
    def authenticate(self, request: Request) -> tuple[CredentialUser, Any] | None:
        meta = request.META
        if any(name in meta for name in _OTHER_CREDENTIALS):
            return None
        check = client_certificate_check(request, ip=client_ip(request))
        if check is None:
            return None
        if not check.valid:
            raise CertificateAuthenticationFailed(check.code)
        assert check.credential is not None
        return self.accept(request, check.credential)
