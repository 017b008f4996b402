"""The /o/ endpoints: DOT's views, subclassed where we need more than its settings give.

- authorize: our branded consent screen, every scope explained, consent recorded;
- token: a per-IP rate limit, clean 4xx answers for malformed device-code polls, and a 400 for an
  unusable client certificate rather than a silently unbound token (RFC 8705, oauth.binding);
- device-authorization: only for apps registered for the device grant, scopes checked up front;
- introspect: answered only to apps flagged as resource servers, never to every client;
- metadata (RFC 8414) and OIDC discovery: advertise the device endpoint and what we really accept,
  certificate-bound tokens included when mTLS is configured.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider import views as dot_views
from oauth2_provider.forms import AllowForm
from oauth2_provider.models import get_device_grant_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OauthlibRequest

from audit.services import client_ip
from keys.certificates.mtls import presented_certificate, request_certificate, request_certificate_thumbprint
from lib.http import bearer_token, csp_origin
from lib.ratelimit import hit
from oauth import scopes as oauth_scopes
from oauth import services
from oauth.binding import bound_thumbprint, confirmation, same_certificate
from oauth.jwks import keyset
from oauth.models import Application
from oauth.selectors import access_token_row, refresh_token_rows
from oauth.tokens import InvalidToken, looks_like_jwt, verify_access_token

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# The project CSP (config.middleware.CSP; oauth sits below config, so it is restated here and a
# test keeps the two equal), which pages showing an app's logo widen by that logo's origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def oauth_error(error: str, description: str, status: int = 400, **headers: str) -> JsonResponse:
    """An RFC 6749 error body, never cached."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def page_csp(application: Application | None, *, consent: bool = False) -> str:
    """Our CSP widened for one app's page: its https logo may show, and on the consent screen the
    form may lead to its redirect URIs (browsers apply form-action to the redirect after a POST)."""
    policy = CSP
    if application is None:
        return policy
    # Only origins rebuilt by csp_origin reach the header: a logo URL like
    # `https://logo.example;frame-ancestors https:;x/logo.png` once added a directive of its own.
    logo = csp_origin(application.logo_url) if application.logo_url else None
    if logo:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {logo}")
    if consent:
        found = {csp_origin(uri, schemes=("https", "http")) for uri in application.redirect_uri_list}
        origins = sorted(origin for origin in found if origin)
        policy = policy.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))
    return policy


def _slow_down(bucket: str, per_minute: int, message: str) -> JsonResponse | None:
    """Count one hit on `bucket`: past `per_minute`, a 429 `slow_down` carrying the window's `Retry-After` and
    rate-limit headers; else None."""
    window = hit(bucket, per_minute)
    if window.allowed:
        return None
    response = oauth_error("slow_down", message, status=429)
    response["Retry-After"] = str(window.reset)
    for name, value in window.headers().items():
        response[name] = value
    return response


def _rate_limited(request: HttpRequest, endpoint: str) -> JsonResponse | None:
    bucket = f"oauth:{endpoint}:{client_ip(request) or '-'}"
    return _slow_down(bucket, settings.OAUTH_TOKEN_RATE_PER_MINUTE, "Too many requests from this address.")


def _presented_client_id(request: HttpRequest) -> str:
    """The client_id a token request names (HTTP Basic first, then the form), for the failure counter only."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme == "Basic" and value.isascii():
        try:
            return unquote_plus(base64.b64decode(value).decode("utf-8").partition(":")[0])[:100]
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return ""
    return str(request.POST.get("client_id", ""))[:100]


def _count_client_failure(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Count a failed client authentication per client_id, like failed API keys per key id; past
    OAUTH_CLIENT_FAILURES_PER_MINUTE the failure is answered 429. A right secret is never refused, so
    nobody can lock a client out by failing on purpose (secrets carry 256 random bits)."""
    failed = response.status_code == 401 or (
        response.status_code == 400 and b'"invalid_client"' in getattr(response, "content", b"")
    )
    client_id = _presented_client_id(request) if failed else ""
    if not client_id:
        return response
    limited = _slow_down(
        f"oauth:client-failures:{client_id}",
        settings.OAUTH_CLIENT_FAILURES_PER_MINUTE,
        "Too many failed attempts for this client.",
    )
    return response if limited is None else limited


class ConsentForm(AllowForm):
    """DOT's form, except that a request for no scope at all can still be approved."""

    scope = forms.CharField(required=False, widget=forms.HiddenInput())


class AuthorizationView(dot_views.AuthorizationView):
    """The consent screen: who is asking, for what (every scope in plain words), with our branding."""

    template_name = "oauth/authorize.html"
    form_class = ConsentForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # DOT lets the client's `approval_prompt=auto` override REQUEST_APPROVAL_PROMPT="force" and skip
        # the screen for scopes granted before. Consent is the person's, not the client's, to skip:
        # the setting decides (docs/oauth.md), so the parameter is dropped before DOT reads it.
        if "approval_prompt" in request.GET:
            query = request.GET.copy()
            query.pop("approval_prompt")
            request.GET = query  # type: ignore[assignment]
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        scopes = kwargs.get("scopes") or self.oauth2_data.get("scopes") or []
        context["scope_details"] = oauth_scopes.describe(list(scopes))
        context["site_name"] = settings.SITE_NAME
        return context

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **response_kwargs)
        response["Content-Security-Policy"] = page_csp(context.get("application"), consent=True)
        response["Cache-Control"] = "no-store"
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        self.success_url = None  # type: ignore[assignment]
        response = super().form_valid(form)
        if form.cleaned_data.get("allow") and self.success_url:
            application = Application.objects.get(client_id=form.cleaned_data["client_id"])
            services.consent_record(
                user=self.request.user,  # type: ignore[arg-type]
                application=application,
                scopes=(form.cleaned_data.get("scope") or "").split(),
                grant="authorization_code",
                request=self.request,
            )
        return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(dot_views.TokenView):
    """The token endpoint, rate-limited per client IP; device polls without a code get a 400, not a 500."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limited = _rate_limited(request, "token")
        if limited is not None:
            return limited
        if presented_certificate(request) is not None and request_certificate(request) is None:
            # The proxy forwarded a certificate we cannot bind to (unreadable, or outside its dates):
            # say so, rather than issue a plain bearer token the client believes is bound.
            return oauth_error("invalid_request", "The client certificate is unreadable or not valid now.")
        if request.POST.get("grant_type") == DEVICE_GRANT:
            device_code = request.POST.get("device_code", "")
            if not device_code:
                return oauth_error("invalid_request", "device_code is required.")
            if not get_device_grant_model().objects.filter(device_code=device_code).exists():
                return oauth_error("invalid_grant", "Unknown or expired device code.")
            response = self.device_flow_token_response(request, device_code)
            response["Cache-Control"] = "no-store"
            return _count_client_failure(request, response)
        return _count_client_failure(request, self.authorization_flow_token_response(request))


@method_decorator(csrf_exempt, name="dispatch")
class DeviceAuthorizationView(dot_views.DeviceAuthorizationView):
    """RFC 8628 device authorization: only apps registered for the device grant, only scopes they may have."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limited = _rate_limited(request, "device")
        if limited is not None:
            return limited
        if request.content_type != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "Send the request as application/x-www-form-urlencoded.")
        client_id = request.POST.get("client_id", "")
        application = Application.objects.filter(client_id=client_id).first() if client_id else None
        if application is not None:
            if not application.allows_grant_type(DEVICE_GRANT):
                return oauth_error("unauthorized_client", "This app is not registered for the device grant.")
            requested = request.POST.get("scope", "").split()
            if set(requested) - set(oauth_scopes.available_for(application)):
                return oauth_error("invalid_scope", "The app may not request some of these scopes.")
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(View):
    """RFC 7662 introspection, for resource servers only (apps an admin flagged `can_introspect`).

    The caller authenticates as a client (HTTP Basic or form) or with a bearer token its app
    obtained. Any other client gets 403: introspection is never open to every client.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        caller = self._caller(request)
        if caller is None:
            return oauth_error("invalid_client", "Authenticate as a client.", status=401, WWW_Authenticate="Basic")
        if not caller.can_introspect:
            return oauth_error("unauthorized_client", "This client may not introspect tokens.", status=403)
        token = request.POST.get("token")
        if not token:
            return oauth_error("invalid_request", "The token parameter is missing.")
        if request.POST.get("token_type_hint") == "refresh_token":
            body = self._refresh_token(token) or self._access_token(token)
        else:
            body = self._access_token(token) or self._refresh_token(token)
        response = JsonResponse(body or {"active": False})
        response["Cache-Control"] = "no-store"
        return response

    def _caller(self, request: HttpRequest) -> Application | None:
        core = dot_views.TokenView.get_oauthlib_core()
        uri, http_method, body, headers = core._extract_params(request)
        oauthlib_request = OauthlibRequest(uri, http_method, body, headers)
        if core.server.request_validator.authenticate_client(oauthlib_request):
            client = oauthlib_request.client
            return client if isinstance(client, Application) else None
        value = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if value:
            row = self._row(value)
            if row is not None and row.application_id and not row.is_expired():
                bound = bound_thumbprint(row)
                if bound is not None and not same_certificate(bound, request_certificate_thumbprint(request)):
                    # The resource server's own token is certificate-bound: it introspects only over mTLS.
                    return None
                return Application.objects.filter(pk=row.application_id).first()
        return None

    @staticmethod
    def _row(token: str) -> Any:
        return access_token_row(token, "application", "user", "issued_jwt", "certificate_binding")

    def _access_token(self, token: str) -> dict[str, Any] | None:
        row = self._row(token)
        if row is None or row.application is None:
            return None
        if row.is_expired():
            return {"active": False}
        body: dict[str, Any] = {
            "active": True,
            "token_type": "Bearer",
            "scope": row.scope,
            "client_id": row.application.client_id,
            "exp": int(row.expires.timestamp()),
            "iat": int(row.created.timestamp()),
            "iss": settings.OAUTH_ISSUER,
            "org": row.application.organization_id,
            "sub": str(row.user_id) if row.user_id else row.application.client_id,
        }
        if row.user is not None:
            body["username"] = row.user.get_username()
        thumbprint = bound_thumbprint(row)
        if thumbprint is not None:
            # RFC 8705 section 3.2: the resource server compares this with the certificate it was shown.
            body["cnf"] = confirmation(thumbprint)
        if looks_like_jwt(token):
            try:
                claims = verify_access_token(token)
            except InvalidToken:
                return {"active": False}
            body.update(aud=claims.claims["aud"], jti=claims.jti)
        return body

    @staticmethod
    def _refresh_token(token: str) -> dict[str, Any] | None:
        rows = refresh_token_rows(token, "application", "user", "access_token", "certificate_binding")
        row = rows.order_by("-id").first()
        if row is None:
            return None
        idle = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS
        alive = (
            row.revoked is None
            and row.access_token is not None
            and (not idle or row.access_token.expires.timestamp() + idle > timezone.now().timestamp())
        )
        if not alive:
            return {"active": False}
        body: dict[str, Any] = {
            "active": True,
            "token_type": "refresh_token",
            "scope": row.access_token.scope,
            "client_id": row.application.client_id,
            "iss": settings.OAUTH_ISSUER,
            "sub": str(row.user_id),
            "username": row.user.get_username(),
        }
        thumbprint = bound_thumbprint(row)
        if thumbprint is not None:
            body["cnf"] = confirmation(thumbprint)
        return body


class JwksView(View):
    """The JWKS: every signing key, active first, so tokens signed before a rotation still verify."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = JsonResponse(keyset().document)
        response["Access-Control-Allow-Origin"] = "*"
        age = oauth2_settings.OIDC_JWKS_MAX_AGE_SECONDS
        response["Cache-Control"] = f"public, max-age={age}, stale-while-revalidate={age}"
        return response


def _absolute(name: str) -> str:
    parts = urlsplit(settings.OAUTH_ISSUER)
    return f"{parts.scheme}://{parts.netloc}{reverse(name)}"


def _extra_metadata() -> dict[str, Any]:
    return {
        "device_authorization_endpoint": _absolute("oauth2_provider:device-authorization"),
        "userinfo_endpoint": _absolute("oauth2_provider:user-info"),
        "revocation_endpoint": _absolute("oauth2_provider:revoke-token"),
        "introspection_endpoint": _absolute("oauth2_provider:introspect"),
        "grant_types_supported": list(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "access_token_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        # RFC 8705 section 3.3: tokens requested over mTLS are bound; only possible behind a trusted proxy.
        "tls_client_certificate_bound_access_tokens": bool(settings.MTLS_TRUSTED_PROXIES),
    }


def _extended(response: HttpResponse) -> HttpResponse:
    if response.status_code != 200:
        return response
    data = json.loads(response.content)
    data.update(_extra_metadata())
    out = JsonResponse(data)
    out["Access-Control-Allow-Origin"] = "*"
    out["Cache-Control"] = "public, max-age=300"
    return out


class ServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 authorization server metadata, served at the root and under the issuer path."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _extended(super().get(request, *args, **kwargs))


class DiscoveryView(dot_views.ConnectDiscoveryInfoView):
    """OpenID Connect discovery, with the device, revocation and introspection endpoints added."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _extended(super().get(request, *args, **kwargs))
