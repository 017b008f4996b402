"""Steps the browser tests share: signing up or in through the real forms, answering the confirm dialog."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conftest import PASSWORD


def sign_up(page: Page, email: str, name: str = "Alice") -> str:
    """Create an account through the sign-up form; return the slug of the team it starts with."""
    page.goto("/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome! Your team is ready")).to_be_visible()
    return page.url.rstrip("/").split("/orgs/")[1].split("/")[0]


def log_in(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url("/login/")


def confirm(page: Page, button: str) -> None:
    """Answer the js-confirm dialog that guards a destructive form."""
    dialog = page.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button).click()
