"""ClientCertificateAuthentication: certificates forwarded by the trusted proxy, pinned or issued by a registered CA."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from keys.certificates import mtls
from keys.services import (
    certificate_authority_register,
    certificate_authority_revoke,
    client_certificate_revoke,
)
from keys.tests.pki import make_ca, make_cert, register_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.credential_api")]

PROXY = "10.0.0.5"
PATH = "/mtls/orders"


@pytest.fixture(autouse=True)
def _trusted_proxy(settings):  # type: ignore[no-untyped-def]
    settings.MTLS_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.MTLS_CLIENT_CERT_HEADER = "X-Client-Cert"


def via_proxy(api, cert, **extra):  # type: ignore[no-untyped-def]
    """A request as nginx forwards it: from the proxy's address, the certificate in the header."""
    extra.setdefault("REMOTE_ADDR", PROXY)
    return api.get(PATH, HTTP_X_CLIENT_CERT=cert.escaped, **extra)


def reason(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "invalid_client_certificate"
    return str(response.json()["error"]["detail"]["reason"])


@pytest.fixture
def pinned(org, alice):  # type: ignore[no-untyped-def]
    cert = make_cert("billing", dns=("billing.acme.test",))
    credential = register_certificate(org, alice, name="Billing", certificate_pem=cert.pem)
    return cert, credential


def test_a_pinned_certificate_from_the_trusted_proxy_authenticates(api, pinned, org) -> None:  # type: ignore[no-untyped-def]
    cert, credential = pinned
    response = via_proxy(api, cert)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "kind": "client_certificate",
        "id": credential.id,
        "organization": org.slug,
        "signed_by": None,
    }


def test_the_header_from_an_untrusted_address_is_ignored(api, pinned) -> None:  # type: ignore[no-untyped-def]
    cert, _ = pinned
    response = via_proxy(api, cert, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    # X-Forwarded-For cannot make a direct caller look like the proxy.
    response = via_proxy(api, cert, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=PROXY)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_no_proxy_is_trusted_unless_configured(api, pinned, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MTLS_TRUSTED_PROXIES = []
    cert, _ = pinned
    assert via_proxy(api, cert).json()["error"]["code"] == "not_authenticated"


def test_an_expired_certificate_is_refused(api, pinned) -> None:  # type: ignore[no-untyped-def]
    cert, _ = pinned
    with time_machine.travel(cert.cert.not_valid_after_utc + timedelta(minutes=1)):
        assert reason(via_proxy(api, cert)) == "certificate_expired"


def test_a_certificate_not_yet_valid_is_refused(api, org, alice) -> None:  # type: ignore[no-untyped-def]
    ca = make_ca()
    certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=ca.pem)
    later = make_cert("billing", issuer=ca, not_before=datetime.now(UTC) + timedelta(days=1))
    assert reason(via_proxy(api, later)) == "certificate_expired"


def test_a_revoked_certificate_fails_on_the_very_next_request(api, pinned, alice) -> None:  # type: ignore[no-untyped-def]
    cert, credential = pinned
    assert via_proxy(api, cert).status_code == 200
    client_certificate_revoke(certificate=credential, actor=alice, reason="laptop stolen")
    assert reason(via_proxy(api, cert)) == "inactive_certificate"


def test_an_expired_credential_is_refused_even_if_the_certificate_is_valid(api, org, alice) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert("short")
    register_certificate(
        org, alice, name="Short", certificate_pem=cert.pem, expires_at=timezone.now() + timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert reason(via_proxy(api, cert)) == "inactive_certificate"


def test_an_unregistered_certificate_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    assert reason(via_proxy(api, make_cert("stranger"))) == "unknown_certificate"


def test_a_malformed_header_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(PATH, HTTP_X_CLIENT_CERT="-----BEGIN%20CERTIFICATE-----garbage", REMOTE_ADDR=PROXY)
    assert reason(response) == "malformed_certificate"
    response = api.get(PATH, HTTP_X_CLIENT_CERT="x" * 100_000, REMOTE_ADDR=PROXY)
    assert reason(response) == "malformed_certificate"


@pytest.fixture
def authority(org, alice):  # type: ignore[no-untyped-def]
    ca = make_ca()
    registered = certificate_authority_register(organization=org, actor=alice, name="Acme CA", certificate_pem=ca.pem)
    return ca, registered


def test_a_certificate_issued_by_a_registered_ca_matches_by_san(api, authority, org, alice) -> None:  # type: ignore[no-untyped-def]
    ca, registered = authority
    identity = register_certificate(
        org, alice, name="Payments", authority=registered, match_san="DNS:Payments.Acme.Test"
    )
    leaf = make_cert("payments-7", issuer=ca, dns=("payments.acme.test",))
    response = via_proxy(api, leaf)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == identity.id
    # A new certificate for the same name (a renewal) works with no change on our side.
    assert via_proxy(api, make_cert("payments-8", issuer=ca, dns=("payments.acme.test",))).status_code == 200
    # Another name from the same CA is not this identity.
    assert reason(via_proxy(api, make_cert("x", issuer=ca, dns=("other.acme.test",)))) == "unknown_certificate"


def test_a_certificate_issued_by_a_registered_ca_matches_by_subject(api, authority, org, alice) -> None:  # type: ignore[no-untyped-def]
    ca, registered = authority
    register_certificate(org, alice, name="Reports", authority=registered, match_subject="CN=reports, O=Acme")
    assert via_proxy(api, make_cert("reports", issuer=ca)).status_code == 200


def test_a_look_alike_ca_with_the_same_name_is_refused(api, authority, org, alice) -> None:  # type: ignore[no-untyped-def]
    ca, registered = authority
    register_certificate(org, alice, name="Payments", authority=registered, match_san="dns:payments.acme.test")
    impostor = make_ca()  # same name as the registered CA, different key
    assert impostor.cert.subject == ca.cert.subject
    forged = make_cert("payments", issuer=impostor, dns=("payments.acme.test",))
    assert reason(via_proxy(api, forged)) == "unknown_certificate"


def test_revoking_the_ca_refuses_every_identity_under_it(api, authority, org, alice) -> None:  # type: ignore[no-untyped-def]
    ca, registered = authority
    register_certificate(org, alice, name="Payments", authority=registered, match_san="dns:payments.acme.test")
    leaf = make_cert("payments", issuer=ca, dns=("payments.acme.test",))
    assert via_proxy(api, leaf).status_code == 200
    certificate_authority_revoke(authority=registered, actor=alice)
    assert reason(via_proxy(api, leaf)) == "inactive_certificate"


def test_a_missing_scope_gets_403(api, org, alice) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert("reader")
    register_certificate(org, alice, name="Reader", scopes=["customers:read"], certificate_pem=cert.pem)
    response = via_proxy(api, cert)
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"


def test_allowed_networks_use_the_client_address_behind_the_proxy(api, org, alice, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1
    cert = make_cert("net")
    register_certificate(org, alice, name="Net", certificate_pem=cert.pem, allowed_networks=["192.0.2.0/24"])
    assert via_proxy(api, cert, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 200
    assert reason(via_proxy(api, cert, HTTP_X_FORWARDED_FOR="198.51.100.10")) == "forbidden_ip"


def test_envoys_forwarded_client_cert_header_is_understood(api, pinned, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MTLS_CLIENT_CERT_HEADER = "x-forwarded-client-cert"
    cert, _ = pinned
    xfcc = f'By=spiffe://keys/web;Hash=abc;Cert="{urllib.parse.quote(cert.pem, safe="")}";Subject="CN=billing,O=Acme"'
    assert api.get(PATH, HTTP_X_FORWARDED_CLIENT_CERT=xfcc, REMOTE_ADDR=PROXY).status_code == 200
    two = f"{xfcc},{xfcc}"
    assert reason(api.get(PATH, HTTP_X_FORWARDED_CLIENT_CERT=two, REMOTE_ADDR=PROXY)) == "malformed_certificate"


def test_the_certificate_steps_aside_for_a_bearer_token(api, pinned) -> None:  # type: ignore[no-untyped-def]
    # Next to an access token the certificate binds the token (RFC 8705); it is not the credential.
    cert, _ = pinned
    response = via_proxy(api, cert, HTTP_AUTHORIZATION="Bearer some-access-token")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_authentication_costs_one_query(api, pinned, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    cert, _ = pinned
    with django_assert_num_queries(1):
        assert via_proxy(api, cert).status_code == 200


# --- RFC 8705: the thumbprint a certificate-bound token is checked against --------------------------


def test_request_certificate_thumbprint_is_the_x5t_s256_of_the_forwarded_certificate(pinned) -> None:  # type: ignore[no-untyped-def]
    cert, credential = pinned
    request = RequestFactory().get("/", HTTP_X_CLIENT_CERT=cert.escaped, REMOTE_ADDR=PROXY)
    assert mtls.request_certificate_thumbprint(request) == credential.thumbprint
    assert len(credential.thumbprint) == 43 and "=" not in credential.thumbprint


def test_request_certificate_thumbprint_is_none_without_a_trusted_certificate(pinned) -> None:  # type: ignore[no-untyped-def]
    cert, _ = pinned
    factory = RequestFactory()
    assert mtls.request_certificate_thumbprint(factory.get("/")) is None
    assert (
        mtls.request_certificate_thumbprint(
            factory.get("/", HTTP_X_CLIENT_CERT=cert.escaped, REMOTE_ADDR="203.0.113.1")
        )
        is None
    )
    assert (
        mtls.request_certificate_thumbprint(factory.get("/", HTTP_X_CLIENT_CERT="garbage", REMOTE_ADDR=PROXY)) is None
    )
    expired = make_cert(
        "old", not_before=datetime.now(UTC) - timedelta(days=10), not_after=datetime.now(UTC) - timedelta(days=1)
    )
    assert (
        mtls.request_certificate_thumbprint(factory.get("/", HTTP_X_CLIENT_CERT=expired.escaped, REMOTE_ADDR=PROXY))
        is None
    )


@pytest.mark.parametrize(
    "value",
    [
        "%ZZ%",
        "-----BEGIN CERTIFICATE-----%0Anot-base64%0A-----END CERTIFICATE-----",
        "\u00e9\u00e9\u00e9",
        "AAAA",
        "%00" * 100,
    ],
)
def test_garbage_in_the_certificate_header_gets_401_never_500(api, value) -> None:  # type: ignore[no-untyped-def]
    response = api.get(PATH, HTTP_X_CLIENT_CERT=value, REMOTE_ADDR=PROXY)
    assert response.status_code in (400, 401), response.content


def test_whoami_describes_a_client_certificate(api, pinned) -> None:  # type: ignore[no-untyped-def]
    cert, credential = pinned
    response = api.get("/api/v1/whoami", HTTP_X_CLIENT_CERT=cert.escaped, REMOTE_ADDR=PROXY)
    assert response.status_code == 200, response.content
    assert response.json()["type"] == "client_certificate" and response.json()["id"] == credential.id


def test_the_thumbprint_is_available_from_a_meta_copy_as_oauthlib_holds_it(pinned) -> None:  # type: ignore[no-untyped-def]
    from oauthlib.common import CaseInsensitiveDict

    cert, credential = pinned
    meta = RequestFactory().get("/o/token/", HTTP_X_CLIENT_CERT=cert.escaped, REMOTE_ADDR=PROXY).META
    # django-oauth-toolkit hands oauthlib a copy of request.META as the request's headers.
    assert mtls.meta_certificate_thumbprint(CaseInsensitiveDict(dict(meta))) == credential.thumbprint
    assert mtls.meta_certificate_thumbprint({**meta, "REMOTE_ADDR": "203.0.113.1"}) is None
    assert mtls.meta_certificate_thumbprint({}) is None
