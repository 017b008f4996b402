"""Signing secrets, client certificates and CAs in the admin: listed, never a secret, revoked through services."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from keys.models import CertificateAuthority, ClientCertificate, KeyStatus, SigningSecret
from keys.services import certificate_authority_register, client_certificate_register, signing_secret_create
from keys.tests.pki import make_ca, make_cert
from lib.tests.admin import admin_change_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(org, alice):  # type: ignore[no-untyped-def]
    secret, plaintext = signing_secret_create(organization=org, actor=alice, name="S", scopes=["orders:read"])
    ca = certificate_authority_register(organization=org, actor=alice, name="CA", certificate_pem=make_ca().pem)
    cert = client_certificate_register(
        organization=org, actor=alice, name="C", scopes=["orders:read"], certificate_pem=make_cert("c").pem
    )
    return secret, plaintext, ca, cert


def test_lists_and_detail_pages_never_show_a_secret(admin_client, everything, org) -> None:  # type: ignore[no-untyped-def]
    secret, plaintext, ca, cert = everything
    for url in (
        "/admin/keys/signingsecret/",
        admin_change_url(secret),
        "/admin/keys/clientcertificate/",
        admin_change_url(cert),
        "/admin/keys/certificateauthority/",
        admin_change_url(ca),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        assert plaintext.encode() not in page.content
        assert secret.secret_encrypted.encode() not in page.content
    listed = admin_client.get("/admin/keys/signingsecret/", {"q": org.slug})
    assert listed.context["cl"].result_count == 1 and secret.key_id.encode() in listed.content
    assert admin_client.get("/admin/keys/clientcertificate/", {"q": cert.thumbprint}).context["cl"].result_count == 1
    assert admin_client.get("/admin/keys/clientcertificate/", {"match_type": "thumbprint"}).status_code == 200


def test_bulk_revoke_goes_through_the_services_and_is_audited(admin_client, everything) -> None:  # type: ignore[no-untyped-def]
    secret, _, ca, cert = everything
    for model, obj in (("signingsecret", secret), ("clientcertificate", cert), ("certificateauthority", ca)):
        response = admin_client.post(
            f"/admin/keys/{model}/", {"action": "revoke_selected", "_selected_action": [obj.pk]}, follow=True
        )
        assert response.status_code == 200
    assert SigningSecret.objects.get().status == KeyStatus.REVOKED
    assert ClientCertificate.objects.get().status == KeyStatus.REVOKED
    assert CertificateAuthority.objects.get().status == KeyStatus.REVOKED
    for action in ("signing_secret.revoked", "client_certificate.revoked", "certificate_authority.revoked"):
        assert AuditEvent.objects.filter(action=action).count() == 1
    bulk = AuditEvent.objects.get(action="admin.signing_secrets_bulk_revoked")
    assert bulk.metadata["ids"] == [secret.pk] and bulk.actor_label == "alice@example.com"


def test_the_admin_cannot_add_change_or_delete_them(admin_client, everything) -> None:  # type: ignore[no-untyped-def]
    secret, _, ca, cert = everything
    for model, obj in (("signingsecret", secret), ("clientcertificate", cert), ("certificateauthority", ca)):
        assert admin_client.get(f"/admin/keys/{model}/add/").status_code == 403
        assert admin_client.post(f"/admin/keys/{model}/{obj.pk}/delete/").status_code == 403
