"""Forms in Chromium: a refused form moves the focus to its error summary, whose links focus each field;
and a key can be created with the keyboard alone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from browser_tests.conftest import shoot
from browser_tests.portal import log_in, submit_new
from keys.models import APIKey

ACTIVE = "() => { const el = document.activeElement; return [el.id, el.name || '', el.value || ''].join('|'); }"


def tab_to(page: Page, want: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's "id|name|value" contains `want`."""
    for _ in range(limit):
        if want in page.evaluate(ACTIVE):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {want!r}; stopped at {page.evaluate(ACTIVE)!r}")


def test_a_refused_form_focuses_its_error_summary_and_links_to_each_field(page: Page, alice: Any, org: Any) -> None:
    log_in(page, alice.email)
    networks = "10.0.0.0/8\nnope\n300.0.0.0/8"
    submit_new(page, f"/orgs/{org.slug}/keys/new", "n" * 120, "Create key", {"Allowed networks": networks})

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("this one has 120")
    expect(summary).to_contain_text("Line 2: 'nope'")
    expect(summary).to_contain_text("Line 3: '300.0.0.0/8'")
    shoot(page, "form-errors", full_page=False)
    summary.get_by_role("link", name="Allowed networks").first.click()
    expect(page.get_by_label("Allowed networks")).to_be_focused()
    assert not APIKey.objects.exists()


def test_a_key_is_created_with_the_keyboard_alone(page: Page, alice: Any, org: Any) -> None:
    log_in(page, alice.email)
    page.goto(f"/orgs/{org.slug}/keys/new")
    tab_to(page, "id_name|")
    page.keyboard.type("Keyboard key")
    tab_to(page, "|environment|")
    page.keyboard.press("ArrowLeft")  # radios move with the arrow keys: to Live, and back to Test
    page.keyboard.press("ArrowRight")
    assert page.evaluate(ACTIVE).endswith("|environment|test")
    tab_to(page, "|scope__orders|")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(ACTIVE).endswith("|scope__orders|read")
    tab_to(page, "id_name|", limit=200)  # Tab wraps round to the name; Enter there submits the form
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your API key is ready")).to_be_visible()
    key = APIKey.objects.get()
    assert key.name == "Keyboard key" and key.environment == "test" and key.scopes == ["orders:read"]
    tab_to(page, "secret-key|")
    page.keyboard.press("Tab")  # the copy button follows the secret
    assert page.evaluate("document.activeElement.matches('[data-copy]')")
    page.keyboard.press("Enter")
    expect(page.locator("[data-copy-status]").first).to_contain_text("Copied")
