"""Services for signing secrets, client certificates and CAs: rules, audit events, encryption at rest, usage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from conftest import set_policy
from keys.checks import check_signing_and_mtls_settings
from keys.core.errors import KeyConflict
from keys.models import KeyStatus, SigningSecret
from keys.services import (
    certificate_authority_register,
    certificate_authority_revoke,
    client_certificate_register,
    client_certificate_revoke,
    client_certificate_update,
    signing_secret_create,
    signing_secret_revoke,
    signing_secret_rotate,
    signing_secret_update,
)
from keys.signing.services import candidate_secrets
from keys.tests.pki import make_ca, make_cert, register_certificate
from lib import crypto

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    kinds = ("signing_secret", "client_certificate", "certificate_authority")
    return list(AuditEvent.objects.filter(target_type__in=kinds).order_by("id").values_list("action", flat=True))


@pytest.fixture
def secret(org, alice):  # type: ignore[no-untyped-def]
    return signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:write"], environment="test")


def test_every_signing_secret_lifecycle_action_is_one_audit_event(org, alice, secret) -> None:  # type: ignore[no-untyped-def]
    created, _ = secret
    signing_secret_rotate(secret=created, actor=alice, grace=timedelta(hours=1))
    signing_secret_update(secret=created, actor=alice, name="Renamed", scopes=["orders:read"])
    signing_secret_update(secret=created, actor=alice, name="Renamed")  # no change, no event
    signing_secret_revoke(secret=created, actor=alice, reason="done")
    signing_secret_revoke(secret=created, actor=alice)  # already revoked, no event
    assert actions() == [
        "signing_secret.created",
        "signing_secret.rotated",
        "signing_secret.updated",
        "signing_secret.revoked",
    ]
    updated = AuditEvent.objects.get(action="signing_secret.updated")
    assert updated.metadata["changes"]["scopes"] == {"before": ["orders:write"], "after": ["orders:read"]}
    assert updated.target_type == "signing_secret" and updated.target_id == created.pk


def test_the_secret_is_encrypted_at_rest_and_bound_to_its_row(org, alice, secret) -> None:  # type: ignore[no-untyped-def]
    created, plaintext = secret
    stored = SigningSecret.objects.get(pk=created.pk).secret_encrypted
    assert plaintext not in stored and crypto.key_id_of(stored) == crypto.keyring().newest_id
    assert crypto.decrypt(stored, purpose="signing_secret", row_id=created.pk) == plaintext
    # The same ciphertext copied onto another row does not decrypt there.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, purpose="signing_secret", row_id="someoneelse")
    assert plaintext not in str(AuditEvent.objects.values_list("metadata", flat=True))


def test_rotation_keeps_at_most_two_secrets_and_caps_grace_at_expiry(org, alice) -> None:  # type: ignore[no-untyped-def]
    created, first = signing_secret_create(
        organization=org, actor=alice, name="S", scopes=["orders:read"], expires_at=timezone.now() + timedelta(hours=2)
    )
    created, second = signing_secret_rotate(secret=created, actor=alice, grace=timedelta(days=7))
    assert created.previous_valid_until == created.expires_at  # never past the key's own expiry
    created, third = signing_secret_rotate(secret=created, actor=alice, grace=timedelta(hours=1))
    labels = {s.decode() for _, s in candidate_secrets(created).secrets}
    assert labels == {second, third} and first not in labels
    with pytest.raises(ValidationError):
        signing_secret_rotate(secret=created, actor=alice, grace=timedelta(days=31))
    signing_secret_revoke(secret=created, actor=alice)
    with pytest.raises(KeyConflict):
        signing_secret_rotate(secret=created, actor=alice)
    assert SigningSecret.objects.get(pk=created.pk).previous_secret_encrypted == ""


def test_creation_applies_the_api_key_rules(org, alice, make_key, charlie_org) -> None:  # type: ignore[no-untyped-def]
    for bad in (
        {"scopes": []},
        {"scopes": ["orders:admin"]},
        {"allowed_networks": ["nope"]},
        {"rate_limit": 0},
        {"expires_at": timezone.now() - timedelta(days=1)},
        {"environment": "staging"},
        {"name": " "},
    ):
        with pytest.raises(ValidationError):
            signing_secret_create(
                **{"organization": org, "actor": alice, "name": "S", "scopes": ["orders:read"], **bad}
            )
    set_policy(org, max_lifetime_days=30)
    with pytest.raises(ValidationError, match="expire within 30 days"):
        signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
    other_key, _ = make_key(organization=charlie_org, actor=None, environment="test")
    with pytest.raises(ValidationError, match="your team's API keys"):
        signing_secret_create(
            organization=org,
            actor=alice,
            name="S",
            scopes=["orders:read"],
            api_key=other_key,
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_settings_mistakes_are_system_check_errors(settings) -> None:  # type: ignore[no-untyped-def]
    def ids() -> set[str]:
        return {m.id for m in check_signing_and_mtls_settings()}  # type: ignore[misc]

    assert ids() == set()
    settings.MTLS_TRUSTED_PROXIES = ["10.0.0.0/33"]
    assert "keys.E013" in ids()
    settings.MTLS_TRUSTED_PROXIES = ["0.0.0.0/0"]
    assert "keys.W010" in ids()
    settings.MTLS_TRUSTED_PROXIES = []
    settings.MTLS_CLIENT_CERT_HEADER = "X_Client_Cert"
    assert "keys.E014" in ids()
    settings.MTLS_CLIENT_CERT_HEADER = "X-Client-Cert"
    settings.SIGNATURE_MAX_AGE_SECONDS = 0
    assert "keys.E012" in ids()


def test_certificate_lifecycle_actions_are_one_audit_event_each(org, alice) -> None:  # type: ignore[no-untyped-def]
    ca = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=make_ca().pem)
    identity = client_certificate_register(
        organization=org, actor=alice, name="I", scopes=["orders:read"], authority=ca, match_subject="CN=svc,O=Acme"
    )
    pinned = client_certificate_register(
        organization=org, actor=alice, name="P", scopes=["orders:write"], certificate_pem=make_cert("p").pem
    )
    client_certificate_update(certificate=pinned, actor=alice, scopes=["orders:read"])
    client_certificate_revoke(certificate=pinned, actor=alice)
    client_certificate_revoke(certificate=pinned, actor=alice)
    certificate_authority_revoke(authority=ca, actor=alice)
    assert actions() == [
        "certificate_authority.registered",
        "client_certificate.registered",
        "client_certificate.registered",
        "client_certificate.updated",
        "client_certificate.revoked",
        "certificate_authority.revoked",
    ]
    assert AuditEvent.objects.get(action="certificate_authority.revoked").metadata["identities_refused"] == 1
    assert identity.match_value == "CN=svc,O=Acme"


def test_certificate_expiry_never_outlives_the_certificate(org, alice) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert("short", not_after=timezone.now() + timedelta(days=10))
    pinned = register_certificate(
        org, alice, name="P", certificate_pem=cert.pem, expires_at=timezone.now() + timedelta(days=365)
    )
    assert pinned.expires_at == pinned.not_after
    set_policy(org, max_lifetime_days=5)
    with pytest.raises(ValidationError, match="at most 5 days"):
        client_certificate_register(
            organization=org, actor=alice, name="P2", scopes=["orders:read"], certificate_pem=make_cert("x").pem
        )
    # Capped at the certificate's own end, the expiry does not change: the policy judges only what changes.
    unchanged = client_certificate_update(
        certificate=pinned, actor=alice, expires_at=timezone.now() + timedelta(days=30)
    )
    assert unchanged.expires_at == pinned.not_after
    with pytest.raises(ValidationError, match="at most 5 days"):
        client_certificate_update(certificate=pinned, actor=alice, expires_at=timezone.now() + timedelta(days=8))


def test_identities_need_an_active_ca_of_the_same_team(org, alice, charlie, charlie_org) -> None:  # type: ignore[no-untyped-def]
    theirs = certificate_authority_register(
        organization=charlie_org, actor=charlie, name="CA", certificate_pem=make_ca().pem
    )
    with pytest.raises(ValidationError, match="your team's certificate authorities"):
        client_certificate_register(
            organization=org, actor=alice, name="I", scopes=["orders:read"], authority=theirs, match_san="dns:a.test"
        )
    ours = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=make_ca().pem)
    client_certificate_register(
        organization=org, actor=alice, name="I", scopes=["orders:read"], authority=ours, match_san="dns:a.test"
    )
    with pytest.raises(ValidationError, match="already exists"):
        client_certificate_register(
            organization=org, actor=alice, name="I2", scopes=["orders:read"], authority=ours, match_san="DNS:A.test"
        )
    certificate_authority_revoke(authority=ours, actor=alice)
    with pytest.raises(ValidationError, match="revoked"):
        client_certificate_register(
            organization=org, actor=alice, name="I3", scopes=["orders:read"], authority=ours, match_san="dns:b.test"
        )


def test_a_revoked_certificate_can_be_registered_again(org, alice) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert("again")
    first = client_certificate_register(
        organization=org, actor=alice, name="P", scopes=["orders:read"], certificate_pem=cert.pem
    )
    client_certificate_revoke(certificate=first, actor=alice)
    second = client_certificate_register(
        organization=org, actor=alice, name="P", scopes=["orders:read"], certificate_pem=cert.pem
    )
    assert second.pk != first.pk and second.status == KeyStatus.ACTIVE
