"""Issue 10: a certificate registered by two teams never authenticates as the wrong one, and never names either."""

from __future__ import annotations

import pytest

from keys.services import certificate_authority_register
from keys.tests.pki import make_ca, make_cert, register_certificate
from keys.tests.test_client_certificates import reason, via_proxy

pytestmark = [pytest.mark.django_db, pytest.mark.urls("keys.tests.credential_api")]


@pytest.fixture(autouse=True)
def _trusted_proxy(settings):  # type: ignore[no-untyped-def]
    settings.MTLS_TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.MTLS_CLIENT_CERT_HEADER = "X-Client-Cert"


def test_a_squatted_certificate_is_ambiguous_until_the_client_names_its_team(
    api, org, alice, charlie_org, charlie
) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert("billing")
    mine = register_certificate(org, alice, name="Billing", certificate_pem=cert.pem)
    assert via_proxy(api, cert).json()["id"] == mine.id
    # Charlie's team pins Acme's (public) certificate too.
    squat = register_certificate(charlie_org, charlie, name="Squat", certificate_pem=cert.pem)
    refused = via_proxy(api, cert)
    assert reason(refused) == "ambiguous_certificate"
    assert org.slug not in refused.content.decode() and charlie_org.slug not in refused.content.decode()
    # The holder of the private key names its own team and gets its own credential, never the squatter's.
    own = via_proxy(api, cert, HTTP_X_ORGANIZATION=org.slug)
    assert own.status_code == 200 and own.json()["id"] == mine.id and own.json()["organization"] == org.slug
    assert via_proxy(api, cert, HTTP_X_ORGANIZATION=charlie_org.slug).json()["id"] == squat.id
    assert reason(via_proxy(api, cert, HTTP_X_ORGANIZATION="nobody")) == "unknown_certificate"


def test_a_ca_trusted_by_two_teams_matches_each_teams_identities_only_within_that_team(
    api, org, alice, charlie_org, charlie
) -> None:  # type: ignore[no-untyped-def]
    ca = make_ca()
    acme_ca = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=ca.pem)
    other_ca = certificate_authority_register(
        organization=charlie_org, actor=charlie, name="CA", certificate_pem=ca.pem
    )
    payments = register_certificate(org, alice, name="Payments", authority=acme_ca, match_san="dns:payments.acme.test")
    register_certificate(charlie_org, charlie, name="Other", authority=other_ca, match_san="dns:other.test")
    leaf = make_cert("payments", dns=("payments.acme.test",), issuer=ca)
    assert via_proxy(api, leaf).json()["id"] == payments.id  # only Acme has this SAN: no ambiguity
    assert reason(via_proxy(api, leaf, HTTP_X_ORGANIZATION=charlie_org.slug)) == "unknown_certificate"
