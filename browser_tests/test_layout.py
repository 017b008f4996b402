"""Every portal page at a phone's width (390 px) and a laptop's (1280 px): it loads, and the page itself
never scrolls sideways (a wide table scrolls inside its own frame instead)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page

from browser_tests.portal import log_in

WIDTHS = (390, 1280)
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


def overflowing(page: Page, urls: list[str], width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": 900})
    found = []
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        extra = page.evaluate(OVERFLOW)
        if extra > 0:
            found.append(f"{url} at {width} px: {extra} px too wide ({page.evaluate(CULPRITS)})")
    return found


def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(
    page: Page, browser: Browser, portal_pages: list[str], alice: Any, live_server: Any
) -> None:
    anonymous = browser.new_page(base_url=live_server.url)
    problems = [problem for width in WIDTHS for problem in overflowing(anonymous, PUBLIC, width)]
    anonymous.close()
    log_in(page, alice.email)
    problems += [problem for width in WIDTHS for problem in overflowing(page, portal_pages, width)]
    assert problems == []
