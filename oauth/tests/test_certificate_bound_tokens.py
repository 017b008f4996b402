"""RFC 8705 certificate-bound tokens (mTLS + JWT): issued over mTLS, accepted only with the same certificate.

Requests reach the app the way nginx forwards them: from the proxy's address (the test client's
REMOTE_ADDR, 127.0.0.1, is the trusted proxy here) with the client certificate URL-encoded in
`X-Client-Cert` (`$ssl_client_escaped_cert`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from joserfc import jwt
from joserfc.jwk import KeySet
from rest_framework.request import Request

from audit.models import AuditEvent
from conftest import login
from keys.certificates.x509 import thumbprint
from keys.tests.pki import Issued, make_ca, make_cert, register_certificate
from oauth.authentication import FAILED_MESSAGE, AccessTokenAuthentication
from oauth.models import Application, CertificateBinding
from oauth.tests.conftest import REDIRECT_URI, pkce_pair, query
from oauth.tests.helpers import basic
from oauth.tests.test_authorize_refusals import authorize_url

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oauth.tests.company_api")]

CC = [Application.GRANT_CLIENT_CREDENTIALS]
STRANGER = "203.0.113.9"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(autouse=True)
def _trusted_proxy(settings: Any) -> None:
    # The Django test client connects from 127.0.0.1: that is "nginx" in these tests.
    settings.MTLS_TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.MTLS_CLIENT_CERT_HEADER = "X-Client-Cert"


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca("Acme Services CA")


@pytest.fixture(scope="module")
def cert(ca: Issued) -> Issued:
    return make_cert("billing", issuer=ca, dns=("billing.acme.test",))


@pytest.fixture(scope="module")
def other_cert(ca: Issued) -> Issued:
    return make_cert("payments", issuer=ca, dns=("payments.acme.test",))


def x5t(issued: Issued) -> str:
    return thumbprint(issued.cert.public_bytes(Encoding.DER))


def mtls(issued: Issued | None, **extra: Any) -> dict[str, Any]:
    """The WSGI environ nginx produces for a request with (or without) a client certificate."""
    return {"HTTP_X_CLIENT_CERT": issued.escaped, **extra} if issued is not None else extra


def token_request(client: Any, app: Application, secret: str, issued: Issued | None, **extra: Any) -> Any:
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, secret),
        **mtls(issued, **extra),
    )


def bound_token(client: Any, app: Application, secret: str, issued: Issued) -> str:
    response = token_request(client, app, secret, issued)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def orders(client: Any, token: str, issued: Issued | None, path: str = "/orders", **extra: Any) -> Any:
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", **mtls(issued, **extra))


def refused(response: Any) -> bool:
    return bool(
        response.status_code == 401
        and response.json()["error"]["message"] == FAILED_MESSAGE
        and 'error="invalid_token"' in response["WWW-Authenticate"]
    )


@pytest.fixture
def worker(make_app: Any) -> tuple[Application, str]:
    app, secret = make_app(name="Billing worker", grant_types=CC, redirect_uris=[], scopes=["orders:read"])
    return app, secret


# --- issuance ----------------------------------------------------------------------------------


def test_a_client_credentials_token_requested_over_mtls_carries_the_certificate_thumbprint(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    keys = KeySet.import_key_set(client.get("/o/.well-known/jwks.json").json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["cnf"] == {"x5t#S256": x5t(cert)}
    assert decoded.claims["client_id"] == app.client_id
    assert CertificateBinding.objects.get(access_token__application=app).thumbprint == x5t(cert)


def test_a_token_requested_without_a_certificate_is_a_plain_bearer_token(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    response = token_request(client, app, secret, None)
    token = response.json()["access_token"]
    keys = KeySet.import_key_set(client.get("/o/.well-known/jwks.json").json())
    assert "cnf" not in jwt.decode(token, keys, algorithms=["RS256"]).claims
    assert not CertificateBinding.objects.exists()
    # Unbound tokens work with or without a certificate on the connection.
    assert orders(client, token, None).status_code == 200
    assert orders(client, token, cert).status_code == 200


def test_a_certificate_header_from_an_untrusted_address_binds_nothing(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    response = token_request(client, app, secret, cert, REMOTE_ADDR=STRANGER)
    assert response.status_code == 200
    keys = KeySet.import_key_set(client.get("/o/.well-known/jwks.json").json())
    assert "cnf" not in jwt.decode(response.json()["access_token"], keys, algorithms=["RS256"]).claims


def test_an_unusable_certificate_at_the_token_endpoint_gets_400_not_an_unbound_token(
    client: Any, worker: tuple[Application, str]
) -> None:
    app, secret = worker
    soon = datetime.now(UTC) + timedelta(minutes=5)
    expiring = make_cert("short-lived", not_after=soon)
    with time_machine.travel(soon + timedelta(minutes=1)):
        expired = token_request(client, app, secret, expiring)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_request"
    garbage = client.post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, secret),
        HTTP_X_CLIENT_CERT="not%20a%20certificate",
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"
    assert not CertificateBinding.objects.exists()


# --- use ---------------------------------------------------------------------------------------


def test_a_bound_token_works_with_the_same_certificate(
    client: Any, worker: tuple[Application, str], cert: Issued, org: Any
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    response = orders(client, token, cert)
    assert response.status_code == 200, response.content
    assert response.json()["client_id"] == app.client_id and response.json()["organization"] == org.slug


def test_a_bound_token_without_its_certificate_gets_401(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    assert refused(orders(client, token, None))


def test_a_bound_token_with_a_different_certificate_gets_401(
    client: Any, worker: tuple[Application, str], cert: Issued, other_cert: Issued
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    assert refused(orders(client, token, other_cert))


def test_a_bound_token_with_its_certificate_sent_around_the_proxy_gets_401(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    # Someone who stole the token and the certificate (not its key) forges the proxy header directly.
    assert refused(orders(client, token, cert, REMOTE_ADDR=STRANGER))
    assert refused(orders(client, token, cert, REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR="127.0.0.1"))


def test_a_bound_token_stops_working_when_its_certificate_expires(client: Any, worker: tuple[Application, str]) -> None:
    app, secret = worker
    soon = datetime.now(UTC) + timedelta(minutes=5)
    short_lived = make_cert("short-lived", not_after=soon)
    token = bound_token(client, app, secret, short_lived)
    assert orders(client, token, short_lived).status_code == 200
    # The token itself lives 15 minutes; the certificate ends first.
    with time_machine.travel(soon + timedelta(minutes=1)):
        assert refused(orders(client, token, short_lived))


def test_a_tampered_cnf_claim_gets_401(client: Any, worker: tuple[Application, str], cert: Issued) -> None:
    from oauth.tests.test_access_token_authentication import claims_of, forge

    app, secret = worker
    claims = claims_of(bound_token(client, app, secret, cert))
    for cnf in ({"jkt": "abc"}, {"x5t#S256": 7}, {"x5t#S256": ""}, "x5t", {"x5t#S256": x5t(cert), "jkt": "abc"}):
        assert refused(orders(client, forge({**claims, "cnf": cnf}), cert)), cnf


def test_checking_a_bound_jwt_needs_no_database_query(
    client: Any, worker: tuple[Application, str], cert: Issued
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    django_request = RequestFactory().get("/orders", HTTP_AUTHORIZATION=f"Bearer {token}", **mtls(cert))
    with CaptureQueriesContext(connection) as queries:
        _, credential = AccessTokenAuthentication().authenticate(Request(django_request))  # type: ignore[misc]
    assert credential.certificate_thumbprint == x5t(cert)
    assert len(queries) == 0


def test_opaque_tokens_are_bound_the_same_way(
    client: Any, worker: tuple[Application, str], cert: Issued, other_cert: Issued, settings: Any
) -> None:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ACCESS_TOKEN_GENERATOR": None}
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    assert token.count(".") != 2
    assert orders(client, token, cert).status_code == 200
    assert refused(orders(client, token, None))
    assert refused(orders(client, token, other_cert))


# --- DRF's class order: the certificate binds the token rather than being the credential --------


def test_with_every_credential_class_on_a_view_the_certificate_binds_the_token(
    client: Any, worker: tuple[Application, str], cert: Issued, org: Any, alice: Any
) -> None:
    app, secret = worker
    # The certificate is also registered as a credential of its own, with the same scope.
    register_certificate(org, alice, name="Billing", environment="live", certificate_pem=cert.pem)
    alone = client.get("/any/orders", **mtls(cert))
    assert alone.status_code == 200 and alone.json()["kind"] == "client_certificate"
    token = bound_token(client, app, secret, cert)
    together = orders(client, token, cert, path="/any/orders")
    assert together.status_code == 200, together.content
    assert together.json() == {"kind": "oauth_token", "organization": org.slug, "certificate_thumbprint": x5t(cert)}
    # ClientCertificateAuthentication steps aside for the bearer token, so the token's binding decides.
    assert refused(orders(client, token, None, path="/any/orders"))


def test_binding_does_not_require_the_certificate_to_be_registered(
    client: Any, worker: tuple[Application, str]
) -> None:
    app, secret = worker
    self_signed = make_cert("laptop")
    token = bound_token(client, app, secret, self_signed)
    assert orders(client, token, self_signed, path="/any/orders").json()["kind"] == "oauth_token"
    # Without the bearer token that certificate is no credential at all.
    assert client.get("/any/orders", **mtls(self_signed)).status_code == 401


# --- introspection and metadata ----------------------------------------------------------------


def test_introspection_reports_the_binding(
    client: Any, worker: tuple[Application, str], cert: Issued, make_app: Any
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    rs, rs_secret = make_app(name="Orders API", grant_types=CC, redirect_uris=[], scopes=[])
    Application.objects.filter(pk=rs.pk).update(can_introspect=True)
    body = client.post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic(rs.client_id, rs_secret)).json()
    assert body["active"] is True and body["cnf"] == {"x5t#S256": x5t(cert)}
    plain = token_request(client, app, secret, None).json()["access_token"]
    body = client.post("/o/introspect/", {"token": plain}, HTTP_AUTHORIZATION=basic(rs.client_id, rs_secret)).json()
    assert body["active"] is True and "cnf" not in body


def test_a_resource_server_whose_own_token_is_bound_introspects_only_with_its_certificate(
    client: Any, worker: tuple[Application, str], cert: Issued, other_cert: Issued, make_app: Any
) -> None:
    app, secret = worker
    token = bound_token(client, app, secret, cert)
    rs, rs_secret = make_app(name="Orders API", grant_types=CC, redirect_uris=[], scopes=[])
    Application.objects.filter(pk=rs.pk).update(can_introspect=True)
    rs_token = bound_token(client, rs, rs_secret, other_cert)
    ask = {"HTTP_AUTHORIZATION": f"Bearer {rs_token}"}
    assert client.post("/o/introspect/", {"token": token}, **ask, **mtls(other_cert)).json()["active"] is True
    assert client.post("/o/introspect/", {"token": token}, **ask).status_code == 401
    assert client.post("/o/introspect/", {"token": token}, **ask, **mtls(cert)).status_code == 401


def test_userinfo_checks_the_binding_too(client: Any, make_app: Any, alice: Any, cert: Issued) -> None:
    app, _ = make_app(client_type=Application.CLIENT_PUBLIC, grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    tokens = public_tokens(client, app, alice, cert, scope="openid email")
    client.logout()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    with_cert = client.get("/o/userinfo/", **bearer, **mtls(cert))
    assert with_cert.status_code == 200 and with_cert.json()["email"] == alice.email
    assert client.get("/o/userinfo/", **bearer).status_code in (401, 403)


def test_server_metadata_advertises_bound_tokens_only_when_mtls_is_configured(client: Any, settings: Any) -> None:
    assert client.get("/.well-known/oauth-authorization-server").json()["tls_client_certificate_bound_access_tokens"]
    assert client.get("/o/.well-known/openid-configuration").json()["tls_client_certificate_bound_access_tokens"]
    settings.MTLS_TRUSTED_PROXIES = []
    body = client.get("/.well-known/oauth-authorization-server").json()
    assert body["tls_client_certificate_bound_access_tokens"] is False


# --- apps that require certificate-bound tokens --------------------------------------------------


def test_an_app_that_requires_bound_tokens_gets_none_without_a_certificate(
    client: Any, make_app: Any, cert: Issued
) -> None:
    app, secret = make_app(
        grant_types=CC, redirect_uris=[], scopes=["orders:read"], tls_client_certificate_bound_access_tokens=True
    )
    without = token_request(client, app, secret, None)
    assert without.status_code == 400 and without.json()["error"] == "invalid_request"
    assert "certificate" in without.json()["error_description"]
    around = token_request(client, app, secret, cert, REMOTE_ADDR=STRANGER)
    assert around.status_code == 400
    token = bound_token(client, app, secret, cert)
    assert orders(client, token, cert).status_code == 200


def test_requiring_bound_tokens_is_refused_where_no_mtls_proxy_is_trusted(make_app: Any, settings: Any) -> None:
    from django.core.exceptions import ValidationError

    settings.MTLS_TRUSTED_PROXIES = []
    with pytest.raises(ValidationError) as info:
        make_app(grant_types=CC, redirect_uris=[], tls_client_certificate_bound_access_tokens=True)
    assert "tls_client_certificate_bound_access_tokens" in info.value.message_dict


def test_the_portal_form_sets_the_requirement_and_the_audit_log_records_it(
    client: Any, alice: Any, org: Any, worker: tuple[Application, str]
) -> None:
    app, _ = worker
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/apps/{app.client_id}/edit")
    assert page.status_code == 200 and b"Require certificate-bound tokens" in page.content
    response = client.post(
        f"/orgs/{org.slug}/apps/{app.client_id}/edit",
        {
            "name": app.name,
            "grant_types": [Application.GRANT_CLIENT_CREDENTIALS],
            "scope__orders": "read",
            "tls_client_certificate_bound_access_tokens": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    app.refresh_from_db()
    assert app.tls_client_certificate_bound_access_tokens is True
    event = AuditEvent.objects.filter(action="oauth_app.updated").latest("id")
    assert "certificate_bound_tokens" in event.metadata["changed"]
    assert b"Certificate-bound tokens" in client.get(f"/orgs/{org.slug}/apps/{app.client_id}/").content


# --- public clients: the refresh token is bound too (RFC 8705 section 4) -------------------------


def public_tokens(
    client: Any, app: Application, alice: Any, issued: Issued, scope: str = "orders:read"
) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    login(client, alice)
    url = authorize_url(app, code_challenge=challenge, scope=scope)
    page = client.get(url)
    form = {**page.context["form"].initial, "allow": "Authorize"}
    code = query(client.post(url, {k: v or "" for k, v in form.items()})["Location"])["code"]
    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
        **mtls(issued),
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def refresh(client: Any, app: Application, refresh_token: str, issued: Issued | None) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
    return client.post("/o/token/", data, **mtls(issued))


def test_a_public_clients_refresh_token_renews_only_with_its_certificate(
    client: Any, make_app: Any, alice: Any, cert: Issued, other_cert: Issued
) -> None:
    app, _ = make_app(client_type=Application.CLIENT_PUBLIC, grant_types=[Application.GRANT_AUTHORIZATION_CODE])
    tokens = public_tokens(client, app, alice, cert)
    assert orders(client, tokens["access_token"], cert).status_code == 200
    assert refused(orders(client, tokens["access_token"], other_cert))
    for stranger in (None, other_cert):
        attempt = refresh(client, app, tokens["refresh_token"], stranger)
        assert attempt.status_code == 400 and attempt.json()["error"] == "invalid_grant"
    renewed = refresh(client, app, tokens["refresh_token"], cert)
    assert renewed.status_code == 200, renewed.content
    assert orders(client, renewed.json()["access_token"], cert).status_code == 200
    # The rotated refresh token is bound as well.
    assert refresh(client, app, renewed.json()["refresh_token"], None).status_code == 400


def test_a_device_poll_refused_for_want_of_a_certificate_does_not_use_up_the_code(
    client: Any, make_app: Any, alice: Any, cert: Issued
) -> None:
    app, _ = make_app(
        client_type=Application.CLIENT_PUBLIC,
        grant_types=[Application.GRANT_DEVICE_CODE],
        redirect_uris=[],
        tls_client_certificate_bound_access_tokens=True,
    )
    started = client.post(
        "/o/device-authorization/",
        urlencode({"client_id": app.client_id, "scope": "orders:read"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert started.status_code == 200, started.content
    grant = started.json()
    login(client, alice)
    assert client.post("/device", {"user_code": grant["user_code"], "decision": "approve"}).status_code == 200
    data = {"grant_type": DEVICE, "device_code": grant["device_code"], "client_id": app.client_id}
    without = client.post("/o/token/", data)
    assert without.status_code == 400 and without.json()["error"] == "invalid_request"
    issued = client.post("/o/token/", data, **mtls(cert))
    assert issued.status_code == 200, issued.content
    assert orders(client, issued.json()["access_token"], cert).status_code == 200
