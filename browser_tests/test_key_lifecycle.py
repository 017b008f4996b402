"""A new user's first key, end to end in Chromium: sign up, pick the team, create a key with the scope grid,
copy it, call whoami with a real HTTP client, roll it, reveal the successor, revoke it and get a 401."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import Page, expect

from browser_tests.conftest import shoot
from browser_tests.portal import confirm, sign_up


def whoami(live_server: Any, secret: str) -> requests.Response:
    return requests.get(f"{live_server.url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}, timeout=10)


def test_sign_up_create_copy_call_roll_revoke(page: Page, live_server: Any) -> None:
    slug = sign_up(page, "newcomer@example.com")
    shoot(page, "dashboard")

    page.goto("/orgs/")
    page.get_by_role("link", name="Alice").first.click()
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_role("link", name="Create API key").first.click()
    page.get_by_label("Name", exact=True).fill("Billing service")
    page.locator("label.choice-card", has_text="Test").click()
    page.locator("input[name=scope__keys][value=read]").check()
    shoot(page, "key-create")
    page.get_by_role("button", name="Create key").click()

    expect(page.get_by_role("heading", name="Your API key is ready")).to_be_visible()
    secret = page.locator("#secret-key").input_value()
    page.locator("[data-copy='#secret-key']").click()
    expect(page.locator("[data-copy-status]").first).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    shoot(page, "key-reveal")

    answer = whoami(live_server, secret)
    assert answer.status_code == 200, answer.text
    assert answer.json()["organization"] == slug and answer.json()["scopes"] == ["keys:read"]

    page.get_by_role("link", name="Done, I've saved the key").click()
    roll = page.locator("form.js-confirm", has=page.get_by_role("button", name="Roll key"))
    roll.get_by_role("button", name="Roll key").click()
    confirm(page, "Roll key")
    expect(page.get_by_role("heading", name="Your key was rolled")).to_be_visible()
    successor = page.locator("#secret-key").input_value()
    assert successor != secret
    assert whoami(live_server, successor).status_code == 200

    page.get_by_role("link", name="Done, I've saved the key").click()
    shoot(page, "key-detail")
    revoke = page.locator("form.js-confirm[data-confirm-danger]")
    revoke.get_by_role("button").click()
    confirm(page, "Revoke key")
    expect(page.get_by_text("Revoked").first).to_be_visible()
    assert whoami(live_server, successor).status_code == 401
    page.get_by_role("link", name="API keys").first.click()
    shoot(page, "key-list")
    assert slug
