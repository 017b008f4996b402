"""Every reveal-once page in a real browser: reload shows no secret and creates nothing, Back works (no
ERR_CACHE_MISS), because each POST redirects to a one-time page (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from browser_tests.portal import confirm, log_in, submit_new
from keys.models import APIKey, SigningSecret
from oauth.models import Application
from webhooks.models import Endpoint
from webhooks.tests.helpers import Receiver


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    rx = Receiver()
    rx.thread.start()
    yield rx
    rx.server.shutdown()
    rx.server.server_close()


def shown_once(page: Page, selector: str, count: Callable[[], int]) -> str:
    """The secret on this reveal page; a reload then shows it no more and creates nothing new."""
    secret = page.locator(selector).input_value()
    assert secret
    before = count()
    url = page.url
    page.reload()
    assert page.url != url  # sent back to the credential's page
    expect(page.get_by_text("That secret was shown once")).to_be_visible()
    assert secret not in page.content()
    assert count() == before
    page.go_back()
    assert secret not in page.content()
    assert count() == before
    return secret


def test_reloading_any_reveal_page_shows_no_secret_twice_and_creates_nothing(
    page: Page, alice: Any, org: Any, receiver: Receiver
) -> None:
    log_in(page, alice.email)

    submit_new(page, f"/orgs/{org.slug}/keys/new?environment=test", "Reload me", "Create key")
    shown_once(page, "#secret-key", APIKey.objects.count)

    key = APIKey.objects.get()
    page.goto(f"/orgs/{org.slug}/keys/{key.id}/")
    page.get_by_role("button", name="Roll key").click()
    confirm(page, "Roll key")
    expect(page.get_by_role("heading", name="Your key was rolled")).to_be_visible()
    shown_once(page, "#secret-key", APIKey.objects.count)

    submit_new(page, f"/orgs/{org.slug}/signing-secrets/new?environment=test", "Reload secret", "Create signing secret")
    shown_once(page, "#secret-key", SigningSecret.objects.count)

    page.goto(f"/orgs/{org.slug}/webhooks/new")
    page.locator("[name=url]").fill(receiver.url("/hook"))
    page.locator("[name=all_events]").check()
    page.get_by_role("button", name="Add endpoint").click()
    shown_once(page, "#secret-1", Endpoint.objects.count)

    page.goto(f"/orgs/{org.slug}/apps/new")
    page.get_by_label("Name", exact=True).fill("Reload app")
    page.get_by_label("Redirect URIs").fill("https://app.example.com/callback")
    page.get_by_role("button", name="Register app").click()
    shown_once(page, "#client-secret", Application.objects.count)
