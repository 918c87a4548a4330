"""Keyboard focus shows as a solid amber ring with a dark edge on text boxes and on buttons, links styled as buttons included.

Bootstrap's own rules (`.btn:focus-visible { outline: 0 }` and a pale 25 % ring on text boxes, about 2:1 on
white) once beat the site's outline on the public form's "Gửi câu hỏi" and the home page's button links.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.concurrency.live import LiveInstance

pytestmark = pytest.mark.e2e

RING = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, cls: e.className, outline: s.outlineStyle, color: s.outlineColor, width: s.outlineWidth}; }"""


@pytest.fixture(scope="module")
def page(browser: Any, live_server: LiveInstance) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN",
                                  viewport={"width": 1366, "height": 768})
    try:
        yield context.new_page()
    finally:
        context.close()


def _tab_until(page: Any, predicate: str, limit: int = 80) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return {predicate}; }})()"):
            return page.evaluate(RING)
    raise AssertionError(f"no element matching {predicate} within {limit} tabs")


@pytest.mark.parametrize("path, predicate", [
    ("/ask", "e.tagName === 'INPUT' && e.type === 'text'"),
    ("/ask", "e.tagName === 'SELECT'"),
    ("/ask", "e.type === 'submit' && e.classList.contains('btn')"),
    ("/", "e.tagName === 'A' && e.classList.contains('btn')"),
])
def test_focus_is_a_solid_amber_ring(page: Any, path: str, predicate: str) -> None:
    page.goto(path)
    ring = _tab_until(page, predicate)
    assert ring["outline"] == "solid" and ring["color"] == "rgb(255, 191, 71)" and ring["width"] == "3px", ring
