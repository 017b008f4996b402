"""Issue 10: /api/docs/ renders its operations in a real browser under the strict CSP.

The page was blank: the CSP refused Swagger UI's inline init script and style. Chromium (Playwright,
the system /usr/bin/chromium) loads the page from pytest-django's live server and must list the
API's operations with no CSP violation reported. Skipped cleanly where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from config.middleware import CSP

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium (/usr/bin/chromium)"),
]


def test_the_api_docs_render_their_operations_under_the_strict_csp(live_server: Any, monkeypatch: Any) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the live server's own thread does the DB work.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page()
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            response = page.goto(f"{live_server.url}/api/docs/")
            assert response is not None and response.status == 200
            assert response.headers["content-security-policy"] == CSP
            page.wait_for_selector(".opblock", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()
    assert any(path.replace("\u200b", "").startswith("/api/v1/keys/") for path in paths), paths[:10]
    assert len(paths) > 10 and "API" in title
    assert not [p for p in problems if "Content Security Policy" in p], problems
