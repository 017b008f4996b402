"""axe-core (vendored, browser_tests/vendor/) on every portal page: no serious or critical violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from browser_tests.portal import log_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLIC = ["/login/", "/signup/", "/password-reset/"]
SERIOUS = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


def test_no_portal_page_has_a_serious_or_critical_axe_violation(
    browser: Browser, live_server: Any, portal_pages: list[str], alice: Any
) -> None:
    # An init script runs through the DevTools protocol, so the strict CSP (no inline script) still holds.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems: list[str] = []
    for url in PUBLIC:
        page.goto(url)
        problems += [f"{url}: {v}" for v in page.evaluate(SERIOUS)]
    log_in(page, alice.email)
    for url in portal_pages:
        page.goto(url)
        problems += [f"{url}: {v}" for v in page.evaluate(SERIOUS)]
    context.close()
    assert problems == []
