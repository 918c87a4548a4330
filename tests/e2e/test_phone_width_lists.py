"""The staff lists beyond the request list, on a 390 px phone and a 1366 px laptop, in Vietnamese and English.

The register of outgoing letters, a request's letters, the recurring duties, the unit's publications and a
unit's spokesperson designations once scrolled sideways on a phone (640-780 px wide): screen-reader-only
text of their tables (a caption, the hidden "Thao tác" header, a link's hidden words) is positioned
absolutely, and escaped the clip of the table's scrolling box (.table-responsive, not positioned). On a
phone these lists are now cards, like the request list. Whatever a list looks like, the page must never be
wider than the screen, and no cell of a list may stick out of it unless it sits in a box that scrolls on
its own. On a laptop the lists stay tables with visible column headers, and the page no wider than the window.

Each role signs in once (the sign-in page is rate-limited); the laptop reuses the phone's session.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.concurrency.live import LiveInstance
from tests.e2e.pages import log_in

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 390
LAPTOP_WIDTH = 1366
PHONE: dict[str, Any] = {"viewport": {"width": PHONE_WIDTH, "height": 844}, "is_mobile": True, "has_touch": True,
                         "device_scale_factor": 2}
LAPTOP: dict[str, Any] = {"viewport": {"width": LAPTOP_WIDTH, "height": 768}}
HEAD = "chutich.anminh@angiang.demo"  # a commune head: the register, a request's letters, duties, publications
DEPARTMENT_HEAD = "giamdoc.vhttdl@angiang.demo"  # manages the spokespersons of the department
TIMEOUT_MS = 15_000
# Page → who opens it. "request-letters" is found from the register (ids depend on the seed).
PAGES = {
    "register": ("head", "/staff/letters/register"),
    "request-letters": ("head", None),
    "duties": ("head", "/staff/duties"),
    "publications": ("head", "/staff/publications"),
    "designations": ("department_head", "/admin/designations"),
}
LANGUAGES = ["vi", "en"]

# The document's width once web fonts are in (they can change the width of text).
DOCUMENT_WIDTH = "document.fonts.ready.then(() => document.documentElement.scrollWidth)"
# What sticks out on the right of the screen, outside a box that scrolls on its own (to explain a failure).
# A box clips what is positioned absolutely inside it only if it is positioned itself.
STICKING_OUT = """width => {
  const scrollsItself = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' && s.position !== 'static' && p.getBoundingClientRect().right <= width) return true;
    } return false; };
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > width + 0.5 && !scrollsItself(e))
    .slice(0, 8)
    .map(e => e.tagName.toLowerCase() + '.' + Array.from(e.classList).join('.') + ' ends at '
         + Math.round(e.getBoundingClientRect().right) + 'px: ' + e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40));
}"""
# Visible cells of the page's lists whose right edge is past the screen and that no scrolling box holds.
CELLS_OFF_SCREEN = """width => Array.from(document.querySelectorAll('main table td, main table th'))
  .filter(c => c.offsetParent !== null && c.getBoundingClientRect().width > 0)
  .filter(c => c.getBoundingClientRect().right > width + 0.5)
  .filter(c => { const box = c.closest('.table-responsive, [class*="table-responsive-"]');
                 return !box || getComputedStyle(box).overflowX === 'visible' || box.getBoundingClientRect().right > width + 0.5; })
  .map(c => Math.round(c.getBoundingClientRect().right) + 'px: ' + c.textContent.trim().replace(/\\s+/g, ' ').slice(0, 30))"""


@pytest.fixture(scope="module")
def phones(browser: Any, live_server: LiveInstance) -> Iterator[dict[str, Any]]:
    """Sign each role in once, on a phone; return their pages by role."""
    contexts = []
    pages = {}
    for role, email in (("head", HEAD), ("department_head", DEPARTMENT_HEAD)):
        context = browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN", **PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        pages[role] = log_in(context, email)
    yield pages
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def laptops(browser: Any, live_server: LiveInstance, phones: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Return a laptop page per role, signed in with the session of the role's phone (no second sign-in)."""
    contexts = []
    pages = {}
    for role, phone in phones.items():
        context = browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN",
                                      storage_state=phone.context.storage_state(), **LAPTOP)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        pages[role] = context.new_page()
    yield pages
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def letters_of_a_request(phones: dict[str, Any]) -> str:
    """Return the path of the letters page of a request that has an issued letter (found in the register)."""
    page = phones["head"]
    page.goto("/staff/letters/register")
    link = page.locator("main table tbody a[href*='/staff/requests/']").first
    expect(link).to_be_attached()
    found = re.search(r"/staff/requests/(\d+)", link.get_attribute("href") or "")
    assert found, "the register names no request"
    return f"/staff/letters/request/{found.group(1)}"


def open_list(page: Any, path: str, language: str) -> None:
    """Open the page in the language; wait until its list shows a row."""
    page.goto(f"/lang/{language}?next={path}")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(f"^{language}"))
    expect(page.locator("main table tbody tr").first).to_be_visible()


def path_of(name: str, letters_of_a_request: str) -> str:
    """Return the path of the named page."""
    return PAGES[name][1] or letters_of_a_request


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_a_staff_list_does_not_scroll_sideways_on_a_phone(name: str, language: str, phones: dict[str, Any],
                                                          letters_of_a_request: str) -> None:
    page = phones[PAGES[name][0]]
    open_list(page, path_of(name, letters_of_a_request), language)
    # The screen's width, not window.innerWidth: a mobile browser zooms out to show a page wider than
    # the screen, and innerWidth then grows with the page.
    width = page.evaluate(DOCUMENT_WIDTH)
    assert width <= PHONE_WIDTH, (f"{name} ({language}) is {width}px wide on a {PHONE_WIDTH}px phone: "
                                  f"{page.evaluate(STICKING_OUT, PHONE_WIDTH)}")
    off_screen = page.evaluate(CELLS_OFF_SCREEN, PHONE_WIDTH)
    assert off_screen == [], f"{name} ({language}): cells off the screen: {off_screen}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_a_staff_list_stays_a_table_on_a_laptop(name: str, language: str, laptops: dict[str, Any],
                                                letters_of_a_request: str) -> None:
    page = laptops[PAGES[name][0]]
    open_list(page, path_of(name, letters_of_a_request), language)
    expect(page.locator("main table thead th").first).to_be_visible()  # column headers, not cards
    width = page.evaluate(DOCUMENT_WIDTH)
    assert width <= LAPTOP_WIDTH, f"{name} ({language}) is {width}px wide on a {LAPTOP_WIDTH}px laptop"
