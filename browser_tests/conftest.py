"""The browser suite: Playwright (from PyPI) driving Debian's Chromium against pytest-django's live server.

Every test here is marked `browser` and skipped cleanly when Chromium or Playwright is missing; CI installs
Chromium with apt (`.ci/run`). No browser is ever downloaded (`playwright install` is never run)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The OAuth tests sign tokens with a generated key and need the issuer on the live server; their apps too.
from oauth.tests.conftest import device_app, live_oauth, make_app, oauth_settings, oidc_key  # noqa: F401

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")  # a folder: `make screenshots` writes the guide's pictures there

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev requirements pin it
    sync_playwright = None  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    missing = sync_playwright is None or not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM))
    skip = pytest.mark.skip(reason=f"needs Playwright and Chromium at {CHROMIUM}")
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety guard would refuse them without this.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    """A fresh browser context (no cookies) at desktop width, failing the test on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def portal_pages(alice: Any, org: Any, settings: Any, eager_celery: None) -> Iterator[list[str]]:
    """One of everything in Alice's team (browser_tests.portal.populate); the URLs of the pages showing it."""
    from browser_tests.portal import populate
    from webhooks.tests.helpers import Receiver

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    receiver = Receiver()
    receiver.thread.start()
    yield populate(org, alice, receiver.url("/hook"))
    receiver.server.shutdown()
    receiver.server.server_close()


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for the user guide when `make screenshots` asked for them (SCREENSHOTS=docs/img)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full_page)
