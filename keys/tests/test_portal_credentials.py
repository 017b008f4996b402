"""Portal pages for signing secrets, client certificates and CAs: owner/member/viewer/outsider matrix."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD, login
from keys.models import CertificateAuthority, ClientCertificate, KeyStatus, SigningSecret
from keys.tests.pki import make_ca, make_cert

pytestmark = pytest.mark.django_db

SECRET_FORM = {"name": "Billing signer", "environment": "test", "expiry": "30d", "scope__orders": "write"}


def pages(org, secret, certificate, authority) -> list[str]:  # type: ignore[no-untyped-def]
    base = f"/orgs/{org.slug}"
    return [
        f"{base}/signing-secrets/",
        f"{base}/signing-secrets/{secret.id}/",
        f"{base}/certificates/",
        f"{base}/certificates/{certificate.id}/",
        f"{base}/certificate-authorities/{authority.id}/",
    ]


def write_pages(org, secret, certificate, authority) -> list[str]:  # type: ignore[no-untyped-def]
    """The create and edit forms."""
    base = f"/orgs/{org.slug}"
    creatable = ("signing-secrets", "certificates", "certificate-authorities")
    editable = {"signing-secrets": secret.id, "certificates": certificate.id}
    return [f"{base}/{kind}/new" for kind in creatable] + [f"{base}/{kind}/{pk}/edit" for kind, pk in editable.items()]


def action_urls(org, secret, certificate, authority) -> list[str]:  # type: ignore[no-untyped-def]
    """The POST-only actions: rotate and revoke."""
    base = f"/orgs/{org.slug}"
    revocable = {"signing-secrets": secret.id, "certificates": certificate.id, "certificate-authorities": authority.id}
    return [f"{base}/signing-secrets/{secret.id}/rotate"] + [
        f"{base}/{kind}/{pk}/revoke" for kind, pk in revocable.items()
    ]


def test_a_developer_creates_a_signing_secret_and_sees_it_once(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.get(f"/orgs/{org.slug}/signing-secrets/new").status_code == 200
    response = client.post(f"/orgs/{org.slug}/signing-secrets/new", SECRET_FORM, follow=True)
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    secret = SigningSecret.objects.get(name="Billing signer")
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("hss_") and plaintext.encode() in response.content
    assert secret.key_id.encode() in response.content and secret.scopes == ["orders:write"]
    detail = client.get(f"/orgs/{org.slug}/signing-secrets/{secret.id}/")
    assert detail.status_code == 200 and plaintext.encode() not in detail.content
    listed = client.get(f"/orgs/{org.slug}/signing-secrets/")
    assert secret.key_id.encode() in listed.content and plaintext.encode() not in listed.content


def test_a_live_signing_secret_asks_for_the_password(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    payload = {**SECRET_FORM, "environment": "live"}
    refused = client.post(f"/orgs/{org.slug}/signing-secrets/new", payload)
    assert refused.status_code == 200 and not SigningSecret.objects.exists()
    ok = client.post(f"/orgs/{org.slug}/signing-secrets/new", {**payload, "password": PASSWORD}, follow=True)
    assert ok.status_code == 200 and SigningSecret.objects.filter(environment="live").count() == 1


def test_a_secret_can_be_bound_to_an_api_key_in_the_portal(client, alice, org, make_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    login(client, alice)
    response = client.post(f"/orgs/{org.slug}/signing-secrets/new", {**SECRET_FORM, "api_key": key.id}, follow=True)
    assert response.status_code == 200
    bound = SigningSecret.objects.get(name="Billing signer")
    assert bound.api_key_id == key.id
    detail = client.get(f"/orgs/{org.slug}/signing-secrets/{bound.id}/")
    assert detail.status_code == 200 and key.display_prefix.encode() in detail.content


def test_rotate_shows_the_new_secret_once_and_revoke_is_final(client, alice, org, secret) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    rotated = client.post(f"/orgs/{org.slug}/signing-secrets/{secret.id}/rotate", {"grace": "3600"}, follow=True)
    assert rotated.status_code == 200 and "no-store" in rotated["Cache-Control"]
    assert rotated.context["rotated"] and rotated.context["plaintext"].startswith("hss_")
    assert SigningSecret.objects.get(pk=secret.pk).secret_version == 2
    edited = client.post(
        f"/orgs/{org.slug}/signing-secrets/{secret.id}/edit", {"name": "Renamed", "scope__orders": "read"}
    )
    assert edited.status_code == 302 and SigningSecret.objects.get(pk=secret.pk).name == "Renamed"
    revoked = client.post(f"/orgs/{org.slug}/signing-secrets/{secret.id}/revoke", {"reason": "done"})
    assert revoked.status_code == 302
    assert SigningSecret.objects.get(pk=secret.pk).status == KeyStatus.REVOKED


def test_a_developer_pins_a_certificate_by_paste_or_upload(client, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(client, bob)
    assert client.get(f"/orgs/{org.slug}/certificates/new").status_code == 200
    form = {"name": "Pasted", "environment": "test", "expiry": "never", "method": "pin", "scope__orders": "read"}
    pasted = client.post(f"/orgs/{org.slug}/certificates/new", {**form, "certificate": make_cert("a").pem})
    assert pasted.status_code == 302, pasted.content
    uploaded_cert = make_cert("b")
    upload = SimpleUploadedFile("client.pem", uploaded_cert.pem.encode(), content_type="application/x-pem-file")
    uploaded = client.post(
        f"/orgs/{org.slug}/certificates/new", {**form, "name": "Uploaded", "certificate_file": upload}
    )
    assert uploaded.status_code == 302, uploaded.content
    cert = ClientCertificate.objects.get(name="Uploaded")
    assert cert.subject == "CN=b,O=Acme" and cert.expires_at == cert.not_after
    detail = client.get(f"/orgs/{org.slug}/certificates/{cert.id}/")
    assert detail.status_code == 200 and cert.thumbprint.encode() in detail.content


def test_certificate_form_errors_are_shown_not_500(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    form = {"name": "Bad", "environment": "test", "expiry": "never", "method": "pin", "scope__orders": "read"}
    leaf = make_cert("c")
    for extra, message in (
        ({}, b"Paste the certificate"),
        ({"certificate": "junk"}, b"Paste one PEM certificate"),
        ({"certificate": leaf.pem + leaf.key_pem}, b"contains a private key"),
        ({"certificate": make_ca().pem}, b"Register it as a certificate authority"),
        ({"method": "ca", "match_value": "dns:a"}, b"Select a valid choice"),
    ):
        response = client.post(f"/orgs/{org.slug}/certificates/new", {**form, **extra})
        assert response.status_code == 200 and message in response.content, (extra, response.content[-3000:])
    assert not ClientCertificate.objects.exists()


def test_an_owner_registers_a_ca_and_an_identity_under_it(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    ca = make_ca()
    response = client.post(f"/orgs/{org.slug}/certificate-authorities/new", {"name": "Acme CA", "certificate": ca.pem})
    assert response.status_code == 302, response.content
    authority = CertificateAuthority.objects.get()
    page = client.get(f"/orgs/{org.slug}/certificates/new?authority={authority.id}")
    assert page.status_code == 200 and b"Issued by" in page.content
    form = {
        "name": "Payments",
        "environment": "test",
        "expiry": "never",
        "method": "ca",
        "authority": authority.id,
        "match_type": "san",
        "match_value": "dns:payments.acme.test",
        "scope__orders": "read",
    }
    created = client.post(f"/orgs/{org.slug}/certificates/new", form)
    assert created.status_code == 302, created.content
    identity = ClientCertificate.objects.get(name="Payments")
    assert identity.authority_id == authority.id and identity.match_value == "dns:payments.acme.test"
    page = client.get(f"/orgs/{org.slug}/certificates/{identity.id}/")
    assert page.status_code == 200 and b"dns:payments.acme.test" in page.content
    bad = client.post(f"/orgs/{org.slug}/certificates/new", {**form, "match_value": "ftp:x"})
    assert bad.status_code == 200 and b"A SAN is written" in bad.content
    detail = client.get(f"/orgs/{org.slug}/certificate-authorities/{authority.id}/")
    assert detail.status_code == 200 and b"Payments" in detail.content
    revoked = client.post(f"/orgs/{org.slug}/certificate-authorities/{authority.id}/revoke", {})
    assert revoked.status_code == 302
    assert CertificateAuthority.objects.get().status == KeyStatus.REVOKED


def test_registering_a_ca_asks_for_the_password(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice, sudo=False)
    ca = make_ca()
    refused = client.post(f"/orgs/{org.slug}/certificate-authorities/new", {"name": "CA", "certificate": ca.pem})
    assert refused.status_code == 200 and not CertificateAuthority.objects.exists()
    ok = client.post(
        f"/orgs/{org.slug}/certificate-authorities/new", {"name": "CA", "certificate": ca.pem, "password": PASSWORD}
    )
    assert ok.status_code == 302


def test_certificate_revoke_in_the_portal(client, alice, org, certificate) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    edited = client.post(
        f"/orgs/{org.slug}/certificates/{certificate.id}/edit", {"name": "Svc 2", "scope__orders": "read"}
    )
    assert edited.status_code == 302
    response = client.post(f"/orgs/{org.slug}/certificates/{certificate.id}/revoke", {"reason": "rotated"})
    assert response.status_code == 302
    assert ClientCertificate.objects.get(pk=certificate.pk).status == KeyStatus.REVOKED


def test_the_owner_and_members_see_every_page(client, alice, bob, vera, org, secret, certificate, authority) -> None:  # type: ignore[no-untyped-def]
    for user in (alice, bob, vera):
        login(client, user)
        for url in pages(org, secret, certificate, authority):
            response = client.get(url)
            assert response.status_code == 200, (user.email, url)


def test_a_viewer_cannot_create_change_or_revoke(client, vera, org, secret, certificate, authority) -> None:  # type: ignore[no-untyped-def]
    login(client, vera)
    for url in write_pages(org, secret, certificate, authority):
        assert client.get(url).status_code == 403, url
    for url in action_urls(org, secret, certificate, authority):
        assert client.post(url, {}).status_code == 403, url
    assert b"Revoke" not in client.get(f"/orgs/{org.slug}/signing-secrets/{secret.id}/").content
    assert SigningSecret.objects.get(pk=secret.pk).status == KeyStatus.ACTIVE


def test_an_outsider_gets_404_everywhere(client, charlie, org, secret, certificate, authority) -> None:  # type: ignore[no-untyped-def]
    login(client, charlie)
    for url in pages(org, secret, certificate, authority) + write_pages(org, secret, certificate, authority):
        assert client.get(url).status_code == 404, url
    for url in action_urls(org, secret, certificate, authority):
        assert client.post(url, {}).status_code == 404, url
    # In his own team, Alice's objects simply do not exist.
    own = charlie.memberships.first().organization.slug
    assert client.get(f"/orgs/{own}/signing-secrets/{secret.id}/").status_code == 404
    assert client.get(f"/orgs/{own}/certificates/{certificate.id}/").status_code == 404
    assert client.get(f"/orgs/{own}/certificate-authorities/{authority.id}/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, org, secret) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/orgs/{org.slug}/signing-secrets/{secret.id}/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_sidebar_links_the_new_pages(client, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/signing-secrets/").content.decode()
    assert f'href="/orgs/{org.slug}/signing-secrets/" aria-current="page"' in page
    assert f'href="/orgs/{org.slug}/certificates/"' in page
    assert f'href="/orgs/{org.slug}/keys/" aria-current="page"' not in page
