"""The management API for signing secrets, client certificates and CAs: owner/member/viewer/outsider matrix."""

from __future__ import annotations

import pytest

from conftest import key_client, login
from keys.models import CertificateAuthority, ClientCertificate, KeyStatus, SigningSecret
from keys.services import (
    key_revoke,
)
from keys.tests.pki import make_ca, make_cert
from lib.tests.answers import assert_not_found

pytestmark = pytest.mark.django_db

NEW_SECRET = {"name": "Billing signer", "scopes": ["orders:write"], "environment": "test"}


# --- signing secrets ---------------------------------------------------------------------------------


def test_owner_creates_a_signing_secret_and_sees_it_once(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    created = api.post("/api/v1/signing-secrets/", NEW_SECRET, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("hss_") and body["key_id"] == f"hs_test_{body['id']}"
    assert created["Cache-Control"] == "no-store"
    listed = api.get("/api/v1/signing-secrets/").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert "secret_encrypted" not in str(listed)
    # Found by id or by key id.
    assert api.get(f"/api/v1/signing-secrets/{body['id']}").json()["name"] == "Billing signer"
    assert api.get(f"/api/v1/signing-secrets/{body['key_id']}").json()["id"] == body["id"]
    assert body["secret"].encode() not in api.get(f"/api/v1/signing-secrets/{body['id']}").content


def test_rotate_returns_the_new_secret_once_and_keeps_the_old_during_grace(api, alice, secret) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    rotated = api.post(f"/api/v1/signing-secrets/{secret.id}/rotate", {"grace_seconds": 3600}, format="json")
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["secret"].startswith("hss_") and rotated["Cache-Control"] == "no-store"
    assert rotated.json()["signing_secret"]["secret_version"] == 2
    assert rotated.json()["signing_secret"]["previous_valid_until"] is not None


def test_update_narrows_scopes_and_revoke_is_final(api, alice, secret) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    widened = api.patch(f"/api/v1/signing-secrets/{secret.id}", {"scopes": ["orders:write"]}, format="json")
    assert widened.status_code == 400 and "narrowed" in str(widened.json())
    renamed = api.patch(f"/api/v1/signing-secrets/{secret.id}", {"name": "Renamed"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    revoked = api.post(f"/api/v1/signing-secrets/{secret.id}/revoke", {"reason": "leaked"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api.post(f"/api/v1/signing-secrets/{secret.id}/rotate", {}, format="json").status_code == 409
    assert api.patch(f"/api/v1/signing-secrets/{secret.id}", {"name": "x"}, format="json").status_code == 409


def test_a_secret_can_be_bound_to_one_of_the_teams_keys(api, alice, make_key, charlie, charlie_org) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key(environment="test")
    login(api, alice)
    created = api.post("/api/v1/signing-secrets/", {**NEW_SECRET, "api_key": key.id}, format="json")
    assert created.status_code == 201 and created.json()["api_key"] == key.id
    missing = api.post("/api/v1/signing-secrets/", {**NEW_SECRET, "api_key": "nope1234"}, format="json")
    assert missing.status_code == 400 and "api_key" in missing.json()["error"]["detail"]
    live = api.post("/api/v1/signing-secrets/", {**NEW_SECRET, "environment": "live", "api_key": key.id}, format="json")
    assert live.status_code == 400


def test_live_secrets_need_a_fresh_password(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice, sudo=False)
    response = api.post("/api/v1/signing-secrets/", {**NEW_SECRET, "environment": "live"}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "reauthentication_required"
    assert api.post("/api/v1/signing-secrets/", NEW_SECRET, format="json").status_code == 201


def test_bad_input_gets_400_never_500(api, alice, secret) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    for payload in (
        {**NEW_SECRET, "scopes": ["nope:read"]},
        {**NEW_SECRET, "scopes": "orders:read"},
        {**NEW_SECRET, "allowed_networks": ["10.0.0.0/99"]},
        {**NEW_SECRET, "rate_limit": 0},
        {**NEW_SECRET, "environment": "prod"},
        {**NEW_SECRET, "name": "x" * 101},
        {**NEW_SECRET, "expires_at": "2001-01-01T00:00:00Z"},
        {**NEW_SECRET, "metadata": {"a": "\x00"}},
    ):
        response = api.post("/api/v1/signing-secrets/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert response.json()["error"]["code"] == "invalid_request"
    for grace in (-1, 10**9, "soon"):
        response = api.post(f"/api/v1/signing-secrets/{secret.id}/rotate", {"grace_seconds": grace}, format="json")
        assert response.status_code == 400


def test_developer_can_create_viewer_can_only_read(api, bob, vera, org, secret) -> None:  # type: ignore[no-untyped-def]
    login(api, bob)
    assert api.post(f"/api/v1/signing-secrets/?organization={org.slug}", NEW_SECRET, format="json").status_code == 201
    login(api, vera)
    assert api.get(f"/api/v1/signing-secrets/?organization={org.slug}").status_code == 200
    assert api.get(f"/api/v1/signing-secrets/{secret.id}?organization={org.slug}").status_code == 200
    for method, path, payload in (
        ("post", "/api/v1/signing-secrets/", NEW_SECRET),
        ("patch", f"/api/v1/signing-secrets/{secret.id}", {"name": "x"}),
        ("post", f"/api/v1/signing-secrets/{secret.id}/rotate", {}),
        ("post", f"/api/v1/signing-secrets/{secret.id}/revoke", {}),
    ):
        response = getattr(api, method)(f"{path}?organization={org.slug}", payload, format="json")
        assert response.status_code == 403, (method, path)
    assert SigningSecret.objects.get(pk=secret.pk).status == KeyStatus.ACTIVE


def test_outsider_gets_404_for_every_endpoint(api, charlie, org, secret, authority, certificate) -> None:  # type: ignore[no-untyped-def]
    login(api, charlie)
    assert api.get(f"/api/v1/signing-secrets/?organization={org.slug}").status_code == 404
    assert api.get(f"/api/v1/client-certificates/?organization={org.slug}").status_code == 404
    assert api.get(f"/api/v1/certificate-authorities/?organization={org.slug}").status_code == 404
    assert_not_found(
        api,
        [
            ("get", f"/api/v1/signing-secrets/{secret.id}"),
            ("get", f"/api/v1/signing-secrets/{secret.key_id}"),
            ("patch", f"/api/v1/signing-secrets/{secret.id}"),
            ("post", f"/api/v1/signing-secrets/{secret.id}/rotate"),
            ("post", f"/api/v1/signing-secrets/{secret.id}/revoke"),
            ("get", f"/api/v1/client-certificates/{certificate.id}"),
            ("patch", f"/api/v1/client-certificates/{certificate.id}"),
            ("post", f"/api/v1/client-certificates/{certificate.id}/revoke"),
            ("get", f"/api/v1/certificate-authorities/{authority.id}"),
            ("post", f"/api/v1/certificate-authorities/{authority.id}/revoke"),
        ],
    )
    assert SigningSecret.objects.get(pk=secret.pk).status == KeyStatus.ACTIVE
    assert ClientCertificate.objects.get(pk=certificate.pk).status == KeyStatus.ACTIVE
    assert CertificateAuthority.objects.get(pk=authority.pk).status == KeyStatus.ACTIVE


def test_credentials_need_keys_scopes(make_key, secret) -> None:  # type: ignore[no-untyped-def]
    _, reader = make_key(scopes=["keys:read"], environment="test")
    _, stranger = make_key(scopes=["orders:read"], environment="test")
    assert key_client(reader).get("/api/v1/signing-secrets/").status_code == 200
    denied = key_client(reader).post("/api/v1/signing-secrets/", NEW_SECRET, format="json")
    assert denied.status_code == 403 and denied.json()["error"]["detail"] == {"missing_scopes": ["keys:manage"]}
    assert key_client(stranger).get("/api/v1/client-certificates/").status_code == 403


def test_a_key_cannot_mint_a_secret_beyond_its_own_scopes_or_environment(make_key) -> None:  # type: ignore[no-untyped-def]
    _, manager = make_key(scopes=["keys:manage", "orders:read"], environment="test")
    client = key_client(manager)
    assert (
        client.post("/api/v1/signing-secrets/", {**NEW_SECRET, "scopes": ["orders:read"]}, format="json").status_code
        == 201
    )
    wider = client.post("/api/v1/signing-secrets/", {**NEW_SECRET, "scopes": ["orders:write"]}, format="json")
    assert wider.status_code == 400
    live = client.post(
        "/api/v1/signing-secrets/", {**NEW_SECRET, "scopes": ["orders:read"], "environment": "live"}, format="json"
    )
    assert live.status_code == 403


def test_a_revoked_key_gets_401(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(scopes=["keys:manage"])
    key_revoke(key=key, actor=alice)
    assert key_client(plaintext).get("/api/v1/signing-secrets/").status_code == 401
    assert key_client(plaintext).get("/api/v1/client-certificates/").status_code == 401
    assert key_client(plaintext).get("/api/v1/certificate-authorities/").status_code == 401


# --- certificate authorities and client certificates ----------------------------------------------------


def test_owner_registers_a_ca_and_an_identity_under_it(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    ca = make_ca()
    registered = api.post("/api/v1/certificate-authorities/", {"name": "Acme CA", "certificate": ca.pem}, format="json")
    assert registered.status_code == 201, registered.content
    authority = registered.json()
    assert authority["subject"] == "CN=Acme Test CA,O=Acme" and len(authority["thumbprint"]) == 43
    identity = api.post(
        "/api/v1/client-certificates/",
        {**NEW_SECRET, "name": "Payments", "authority": authority["id"], "match_san": "dns:payments.acme.test"},
        format="json",
    )
    assert identity.status_code == 201, identity.content
    body = identity.json()
    assert body["match_type"] == "san" and body["match_value"] == "dns:payments.acme.test"
    assert body["authority"] == authority["id"] and body["expires_at"] is not None
    assert api.get("/api/v1/certificate-authorities/").json()["count"] == 1
    revoked = api.post(f"/api/v1/certificate-authorities/{authority['id']}/revoke", {}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_owner_pins_a_certificate(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    cert = make_cert("svc", dns=("svc.acme.test",))
    created = api.post("/api/v1/client-certificates/", {**NEW_SECRET, "certificate": cert.pem}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["match_type"] == "thumbprint" and body["sans"] == ["dns:svc.acme.test"]
    assert body["not_after"] and body["serial"] and body["issuer"] == body["subject"]
    assert body["display_id"] == f"cc_test_{body['id']}"
    again = api.post("/api/v1/client-certificates/", {**NEW_SECRET, "certificate": cert.pem}, format="json")
    assert again.status_code == 400 and "already registered" in str(again.json())
    narrowed = api.patch(f"/api/v1/client-certificates/{body['id']}", {"scopes": ["orders:read"]}, format="json")
    assert narrowed.status_code == 200 and narrowed.json()["scopes"] == ["orders:read"]
    revoked = api.post(f"/api/v1/client-certificates/{body['id']}/revoke", {"reason": "rotated"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_certificate_uploads_with_bad_input_get_400(api, alice, authority) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    leaf = make_cert("svc")
    for payload, field in (
        ({"certificate": "not a pem"}, "certificate"),
        ({"certificate": leaf.pem + leaf.key_pem}, "certificate"),
        ({"certificate": leaf.pem + leaf.pem}, "certificate"),
        ({"certificate": make_ca().pem}, "certificate"),
        ({}, "certificate"),
        ({"authority": "nope"}, "authority"),
        ({"authority": authority.id}, "match"),
        ({"authority": authority.id, "match_san": "dns:a", "match_subject": "CN=a"}, "match"),
        ({"authority": authority.id, "match_san": "ftp:a"}, "match"),
        ({"authority": authority.id, "match_subject": "not a dn"}, "match"),
        ({"authority": authority.id, "match_san": "dns:a", "certificate": leaf.pem}, "certificate"),
    ):
        response = api.post("/api/v1/client-certificates/", {**NEW_SECRET, **payload}, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert field in response.json()["error"]["detail"], (payload, response.json())
    not_ca = api.post("/api/v1/certificate-authorities/", {"name": "x", "certificate": leaf.pem}, format="json")
    assert not_ca.status_code == 400 and "not a CA" in str(not_ca.json())


def test_viewer_reads_but_cannot_register_or_revoke(api, vera, org, authority, certificate) -> None:  # type: ignore[no-untyped-def]
    login(api, vera)
    q = f"?organization={org.slug}"
    assert api.get(f"/api/v1/client-certificates/{q}").status_code == 200
    assert api.get(f"/api/v1/certificate-authorities/{authority.id}{q}").status_code == 200
    assert (
        api.post(
            f"/api/v1/certificate-authorities/{q}", {"name": "x", "certificate": make_ca().pem}, format="json"
        ).status_code
        == 403
    )
    assert api.post(f"/api/v1/client-certificates/{certificate.id}/revoke{q}", {}, format="json").status_code == 403
    assert api.post(f"/api/v1/certificate-authorities/{authority.id}/revoke{q}", {}, format="json").status_code == 403


def test_developer_registers_certificates(api, bob, org) -> None:  # type: ignore[no-untyped-def]
    login(api, bob)
    q = f"?organization={org.slug}"
    cert = api.post(
        f"/api/v1/client-certificates/{q}", {**NEW_SECRET, "certificate": make_cert("d").pem}, format="json"
    )
    assert cert.status_code == 201
    ca = api.post(f"/api/v1/certificate-authorities/{q}", {"name": "CA", "certificate": make_ca().pem}, format="json")
    assert ca.status_code == 201


def test_registering_a_ca_needs_a_fresh_password(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice, sudo=False)
    response = api.post("/api/v1/certificate-authorities/", {"name": "CA", "certificate": make_ca().pem}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "reauthentication_required"


def test_another_team_may_register_the_same_public_ca_or_certificate_and_is_told_nothing(
    api, alice, charlie, authority, certificate
) -> None:  # type: ignore[no-untyped-def]
    # Issue 10: a global rule let one team squat another's public CA and told it who held what.
    login(api, charlie)
    ca = api.post(
        "/api/v1/certificate-authorities/", {"name": "Mine", "certificate": authority.certificate_pem}, format="json"
    )
    assert ca.status_code == 201, ca.content
    pinned = api.post(
        "/api/v1/client-certificates/", {**NEW_SECRET, "certificate": certificate.certificate_pem}, format="json"
    )
    assert pinned.status_code == 201, pinned.content
    again = api.post(
        "/api/v1/client-certificates/", {**NEW_SECRET, "certificate": certificate.certificate_pem}, format="json"
    )
    assert again.status_code == 400 and "Your team has already registered" in str(again.json())
    assert "another" not in str(again.json()) and alice.email not in str(again.json())
