"""Small HTML helpers for the reports tests (standard library only)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

Q1 = "from=2026-01-01&to=2026-03-31"


class _Links(HTMLParser):
    """Collect the figures of a report page: (href, text) of every <a class="report-num">."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and "report-num" in (values.get("class") or "").split():
            self._href, self._text = values.get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def figure_links(page: str) -> list[tuple[str, str]]:
    """Return (href, text) for every linked figure of a report page."""
    parser = _Links()
    parser.feed(page)
    return parser.links


def figure(page: str, element_id: str) -> str:
    """Return the visible text inside the element with this id."""
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</(?:div|span|strong|p|td)>', page, re.S)
    assert match, element_id
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def drill_total(page: str) -> int:
    """Return the total shown on a drill-down list."""
    return int(figure(page, "drill-total").replace(".", ""))


def as_int(text: str) -> int:
    """Read a Vietnamese-formatted count (1.234)."""
    return int(text.replace(".", "").replace("\u00a0", ""))
