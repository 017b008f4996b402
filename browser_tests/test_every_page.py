"""Every portal page, walked once per width in Chromium: it loads; at a phone's width (390 px) and a
laptop's (1280 px) the page itself never scrolls sideways (a wide table scrolls inside its own frame); and
axe-core (vendored, browser_tests/vendor/) finds no serious or critical violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page

from browser_tests.conftest import shoot
from browser_tests.portal import log_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)
PUBLIC = ["/login/", "/signup/", "/password-reset/"]
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The innermost elements that stick out past the right edge, to name the culprit in the failure.
CULPRITS = """() => {
  const edge = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > edge + 0.5 && el.children.length === 0)
    .slice(0, 3)
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
}"""
SERIOUS = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


def problems_on(page: Page, urls: list[str], width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    found = []
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        extra = page.evaluate(OVERFLOW)
        if extra > 0:
            found.append(f"{url} at {width} px: {extra} px too wide ({page.evaluate(CULPRITS)})")
        if width == WIDTHS[0]:  # axe once per page; the layout does not change what it checks
            found += [f"{url}: {violation}" for violation in page.evaluate(SERIOUS)]
    return found


def test_every_page_fits_a_phone_and_a_laptop_and_passes_axe(
    browser: Browser, live_server: Any, portal_pages: list[str], alice: Any
) -> None:
    # An init script runs through the DevTools protocol, so the strict CSP (no inline script) still holds.
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems = [problem for width in WIDTHS for problem in problems_on(page, PUBLIC, width)]
    log_in(page, alice.email)
    problems += [problem for width in WIDTHS for problem in problems_on(page, portal_pages, width)]
    page.goto(portal_pages[2])  # the key list, on a phone
    shoot(page, "key-list-phone")
    context.close()
    assert problems == []
