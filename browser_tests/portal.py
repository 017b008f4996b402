"""Steps the browser tests share: signing up or in through the real forms, answering the confirm dialog."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from conftest import PASSWORD


def sign_up(page: Page, email: str, name: str = "Alice") -> str:
    """Create an account through the sign-up form; return the slug of the team it starts with."""
    page.goto("/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # Sign-up answers the same for a new and a taken address (no enumeration), so it never logs in:
    # the new account logs in next, and lands in the team it starts with.
    expect(page.get_by_text("We sent you an email")).to_be_visible()
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/orgs/[^/]+/"))
    return page.url.split("/orgs/")[1].split("/")[0]


def log_in(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).not_to_have_url("/login/")


def submit_new(page: Page, path: str, name: str, button: str, fields: Mapping[str, str] | None = None) -> None:
    """Fill in the "new credential" form at `path`: its name, any other `fields` (by label), the scope
    orders:read; then press `button`."""
    page.goto(path)
    page.get_by_label("Name", exact=True).fill(name)
    for label, value in (fields or {}).items():
        page.get_by_label(label).fill(value)
    page.locator("input[name=scope__orders][value=read]").check()
    page.get_by_role("button", name=button).click()


def confirm(page: Page, button: str) -> None:
    """Answer the js-confirm dialog that guards a destructive form."""
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()


LONG_NAME = "Billing service for the European payments platform, production cluster, primary region, v2" + "x" * 10


def populate(org: Any, alice: Any, receiver_url: str) -> list[str]:
    """One of everything in Alice's team (a key with a 100-character name, a rolled and a revoked key, a
    signing secret, a CA and a certificate, an OAuth app, a webhook endpoint with a delivery); return the
    URL of every portal page that shows them."""
    from keys import services as keys
    from keys.certificates import services as certificates
    from keys.tests.pki import make_ca, make_cert
    from oauth import services as oauth
    from webhooks import services as webhooks

    slug = org.slug
    long_key, _ = keys.key_create(organization=org, actor=alice, name=LONG_NAME, scopes=["orders:read"])
    rolled, _ = keys.key_create(
        organization=org, actor=alice, name="Rolled", scopes=["orders:read"], environment="test"
    )
    successor, _ = keys.key_roll(key=rolled, actor=alice, grace=timedelta(hours=1))
    gone, _ = keys.key_create(organization=org, actor=alice, name="Gone", scopes=["orders:read"], environment="test")
    keys.key_revoke(key=gone, actor=alice, reason="left the team")
    secret, _ = keys.signing_secret_create(organization=org, actor=alice, name="Partner", scopes=["orders:read"])
    ca = make_ca()
    authority = certificates.certificate_authority_register(
        organization=org, actor=alice, name="Acme CA", certificate_pem=ca.pem
    )
    certificate = certificates.client_certificate_register(
        organization=org, actor=alice, name="Billing mTLS", scopes=["orders:read"], certificate_pem=make_cert().pem
    )
    app, _ = oauth.application_create(
        organization=org,
        actor=alice,
        name="Acme dashboard",
        client_type="confidential",
        grant_types=["authorization-code"],
        redirect_uris=["https://client.example.com/callback"],
        scopes=["orders:read"],
    )
    endpoint, _ = webhooks.endpoint_create(organization=org, actor=alice, url=receiver_url, event_types=[])
    message = webhooks.endpoint_send_test(endpoint=endpoint, actor=alice)
    base = f"/orgs/{slug}"
    return [
        "/orgs/",
        f"{base}/",
        f"{base}/keys/",
        f"{base}/keys/new",
        f"{base}/keys/{long_key.id}/",
        f"{base}/keys/{long_key.id}/edit",
        f"{base}/keys/{rolled.id}/",
        f"{base}/keys/{successor.id}/",
        f"{base}/keys/{gone.id}/",
        f"{base}/signing-secrets/",
        f"{base}/signing-secrets/new",
        f"{base}/signing-secrets/{secret.pk}/",
        f"{base}/signing-secrets/{secret.pk}/edit",
        f"{base}/certificates/",
        f"{base}/certificates/new",
        f"{base}/certificates/{certificate.pk}/",
        f"{base}/certificates/{certificate.pk}/edit",
        f"{base}/certificate-authorities/new",
        f"{base}/certificate-authorities/{authority.pk}/",
        f"{base}/apps/",
        f"{base}/apps/new",
        f"{base}/apps/{app.client_id}/",
        f"{base}/apps/{app.client_id}/edit",
        f"{base}/webhooks/",
        f"{base}/webhooks/new",
        f"{base}/webhooks/event-types/",
        f"{base}/webhooks/{endpoint.id}/",
        f"{base}/webhooks/{endpoint.id}/edit",
        f"{base}/webhooks/{endpoint.id}/deliveries/{message.id}/",
        f"{base}/alerts/",
        f"{base}/audit/",
        f"{base}/members/",
        f"{base}/settings/",
        "/account/authorized-apps/",
        "/account/confirm-password/",
        "/device",
    ]
