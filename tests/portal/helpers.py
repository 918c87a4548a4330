"""Helpers shared by the portal tests (plain functions and constants, no fixtures)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

# Tuesday 10/03/2026 09:00 in Vietnam: the 2017 rulebook applies; 5 working days end 17/03/2026.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TOKEN_IN_LINK = re.compile(r"/track/([A-Za-z0-9_-]{20,})")


def form_data(target: Any, **overrides: Any) -> dict[str, Any]:
    """Return a valid question-form post for a unit, with some fields replaced."""
    data: dict[str, Any] = {
        "name": "Nguyễn Thị Phóng Viên",
        "agency": "Báo Kiên Giang",
        "email": "pv.nguyen@baokg.vn",
        "phone": "0912 345 678",
        "credential": "card",
        "card_number": "12345/BC",
        "card_expiry": "2028-12-31",
        "unit": str(target.id if target is not None else 0),
        "type": "information",
        "subject": "Tiến độ nạo vét kênh Xẻo Nhàu",
        "questions": "Xin cho biết tiến độ, kinh phí và thời gian hoàn thành công trình.",
        "article_url": "https://baokg.vn/bai-viet/123",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def kept(body: str, value: str) -> bool:
    """Return whether a typed value is re-rendered as an input's value attribute."""
    return f'value="{html.escape(value, quote=True)}"' in body


def token_from(body: str) -> str:
    """Return the tracking token shown on a confirmation page."""
    match = TOKEN_IN_LINK.search(body)
    assert match, "no tracking link on the page"
    return match.group(1)


def is_checked(body: str, name: str, value: str) -> bool:
    """Return whether the radio or checkbox ``name`` with ``value`` is rendered checked."""
    for tag in re.findall(r"<input\b[^>]*>", body):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return re.search(r"\schecked[\s>]", tag) is not None
    return False
