"""Real-browser logins with a second factor: a passkey through Chrome's virtual authenticator (CDP
WebAuthn), an authenticator-app code, and a team that requires a second factor walking a member
through enrolment. Skipped when Playwright or /usr/bin/chromium is missing."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Membership, Passkey, Role, User
from accounts.services import user_signup
from accounts.tests.mfa_helpers import code_for, enrol_totp
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    # WebAuthn's relying party is SITE_URL: the live server on localhost (a secure context over http).
    settings.SITE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return str(live_server.url)


def _page_with_authenticator(browser: Any) -> Any:
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return page


def _password_login(page: Any, site: str, email: str) -> None:
    page.goto(f"{site}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _log_out(page: Any) -> None:
    page.context.clear_cookies()


def test_a_member_adds_a_passkey_and_logs_in_with_it_with_and_without_a_password(site, browser) -> None:  # type: ignore[no-untyped-def]
    alice = user_signup(email="alice@example.com", password=PASSWORD, name="Alice")
    slug = Membership.objects.get(user=alice).organization.slug
    page = _page_with_authenticator(browser)

    _password_login(page, site, alice.email)
    page.wait_for_url(f"**/orgs/{slug}/**")
    page.goto(f"{site}/account/security/")
    page.fill("[data-passkey-name]", "Laptop")
    page.click("text=Add a passkey")
    page.wait_for_selector("#passkey-list >> text=Laptop")
    assert Passkey.objects.filter(user=alice, name="Laptop").count() == 1

    # Passwordless: the discoverable passkey alone logs in.
    _log_out(page)
    page.goto(f"{site}/login/")
    page.click("text=Log in with a passkey")
    page.wait_for_url(f"**/orgs/{slug}/**")
    assert page.locator(".topbar-email").inner_text() == alice.email

    # As the second factor after the password.
    _log_out(page)
    _password_login(page, site, alice.email)
    page.wait_for_url("**/login/verify/")
    page.click("text=Use a passkey")
    page.wait_for_url(f"**/orgs/{slug}/**")
    assert Passkey.objects.get(user=alice).last_used_at is not None


def test_a_member_with_an_authenticator_app_logs_in_with_a_code(site, browser) -> None:  # type: ignore[no-untyped-def]
    alice = user_signup(email="alice@example.com", password=PASSWORD, name="Alice")
    seed = enrol_totp(alice)
    page = browser.new_page()
    _password_login(page, site, alice.email)
    page.wait_for_url("**/login/verify/")
    page.fill("input[name=code]", "000000" if code_for(seed) != "000000" else "111111")
    page.click("button[type=submit]")
    assert page.get_by_text("That code is not right.", exact=True).is_visible()
    page.fill("input[name=code]", code_for(seed))
    page.click("button[type=submit]")
    page.wait_for_url("**/orgs/**")
    assert page.locator(".topbar-email").inner_text() == alice.email


def test_a_team_requiring_mfa_blocks_a_member_until_they_enrol(site, browser) -> None:  # type: ignore[no-untyped-def]
    alice = user_signup(email="alice@example.com", password=PASSWORD, name="Alice")
    org = Membership.objects.get(user=alice).organization
    org.require_mfa = True
    org.save()
    bob = User.objects.create_user(email="bob@example.com", password=PASSWORD)
    Membership.objects.create(organization=org, user=bob, role=Role.DEVELOPER)
    page = browser.new_page()

    _password_login(page, site, bob.email)
    page.wait_for_url("**/account/security/**")
    assert page.locator(f"text={org.name} requires a second factor").first.is_visible()
    page.goto(f"{site}/orgs/{org.slug}/keys/")
    page.wait_for_url("**/account/security/**")

    page.click('a:has-text("Set up an authenticator app")')
    seed = page.locator("#totp-seed").inner_text().strip()
    page.fill("input[name=code]", code_for(seed))
    page.click("button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    page.click("text=I saved them")
    page.goto(f"{site}/orgs/{org.slug}/keys/")
    assert page.url.endswith(f"/orgs/{org.slug}/keys/")
    assert page.locator("h1").first.is_visible()
