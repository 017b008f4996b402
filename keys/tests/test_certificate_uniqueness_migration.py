"""keys 0006 makes certificate and CA uniqueness per organization: every row survives, and afterwards
a second team may register the same public certificate while one team still cannot register it twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.apps.registry import Apps
from django.db import IntegrityError, transaction

from lib.tests.migrations import apps_at, migrated_to

OLD = [("keys", "0005_move_outbox_to_accounts")]
NEW = [("keys", "0006_certificate_uniqueness_per_organization")]
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2036, 1, 1, tzinfo=UTC)


@pytest.fixture
def old_state(transactional_db: None) -> Iterator[Apps]:
    """The models at OLD; back to the latest state afterwards, for the tests that follow."""
    with migrated_to(OLD) as old:
        yield old


def _ca(model, org, ident: str, thumbprint: str):  # type: ignore[no-untyped-def]
    return model.objects.create(
        id=ident,
        organization=org,
        name="CA",
        certificate_pem="-----BEGIN CERTIFICATE-----",
        thumbprint=thumbprint,
        subject="CN=CA",
        subject_hash="h" * 64,
        issuer="CN=CA",
        serial="1",
        not_before=WHEN,
        not_after=LATER,
        expires_at=LATER,
    )


def _pinned(model, org, ident: str, thumbprint: str):  # type: ignore[no-untyped-def]
    return model.objects.create(
        id=ident, organization=org, name="svc", match_type="thumbprint", match_value=thumbprint, thumbprint=thumbprint
    )


def test_rows_survive_and_uniqueness_becomes_per_organization(old_state: Apps) -> None:
    old = old_state
    org_model = old.get_model("accounts", "Organization")
    acme = org_model.objects.create(name="Acme", slug="acme")
    umbrella = org_model.objects.create(name="Umbrella", slug="umbrella")
    _ca(old.get_model("keys", "CertificateAuthority"), acme, "ca0000000001", "T" * 43)
    _pinned(old.get_model("keys", "ClientCertificate"), acme, "cc0000000001", "P" * 43)
    with pytest.raises(IntegrityError), transaction.atomic():  # before: global, so another team is refused
        _pinned(old.get_model("keys", "ClientCertificate"), umbrella, "cc0000000002", "P" * 43)

    new = apps_at(NEW)
    ca_model = new.get_model("keys", "CertificateAuthority")
    cert_model = new.get_model("keys", "ClientCertificate")
    assert list(ca_model.objects.values_list("id", "organization__slug", "thumbprint")) == [
        ("ca0000000001", "acme", "T" * 43)
    ]
    assert list(cert_model.objects.values_list("id", "organization__slug", "match_value")) == [
        ("cc0000000001", "acme", "P" * 43)
    ]
    umbrella = new.get_model("accounts", "Organization").objects.get(slug="umbrella")
    acme = new.get_model("accounts", "Organization").objects.get(slug="acme")
    _ca(ca_model, umbrella, "ca0000000002", "T" * 43)
    _pinned(cert_model, umbrella, "cc0000000002", "P" * 43)
    with pytest.raises(IntegrityError), transaction.atomic():
        _pinned(cert_model, acme, "cc0000000003", "P" * 43)
    with pytest.raises(IntegrityError), transaction.atomic():
        _ca(ca_model, acme, "ca0000000003", "T" * 43)
