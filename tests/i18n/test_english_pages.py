"""Public pages speak English after /lang/en and Vietnamese otherwise.

The pages are requested through a client of a second app whose requests each push their own
app context, as in production: the ``app`` fixture keeps one app context pushed, and Flask-Babel
caches the chosen locale on ``g`` of that context, which would leak one request's language into
the next.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spokes.extensions import db

# Letters with Vietnamese diacritics (none of them belongs in the English UI).
VIETNAMESE_LETTER = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE)
# Vietnamese that stays on English pages on purpose: the language link and legal document numbers.
KEPT_VIETNAMESE = ("Tiếng Việt", "NĐ-CP", "NĐ 237/2026")

# (path, English strings that must appear, their Vietnamese msgids that must not)
PAGES = [
    ("/", ["Ask a question", "Track a request", "Deadline calculator", "For journalists", "Skip to main content"],
     ["Gửi câu hỏi", "Tra cứu yêu cầu", "Tính thời hạn", "Dành cho phóng viên", "Bỏ qua, đến nội dung chính"]),
    ("/ask", ["Ask the spokesperson a question", "Journalist details", "Press agency", "I have a valid press card",
              "Interview request", "Preferred interview date", "Publish my name"],
     ["Gửi câu hỏi cho người phát ngôn", "Thông tin phóng viên", "Cơ quan báo chí", "Tôi có thẻ nhà báo còn hạn",
      "Đề nghị phỏng vấn", "Ngày mong muốn phỏng vấn", "Công bố họ tên"]),
    ("/track", ["Track a request", "Reference number", "Email used when submitting", "Send a new tracking link"],
     ["Tra cứu yêu cầu", "Mã yêu cầu", "Thư điện tử đã dùng khi gửi"]),
    ("/spokespersons", ["Spokesperson directory", "Search by unit or spokesperson name (with or without diacritics)", "Search"],
     ["Danh bạ người phát ngôn", "Tìm theo tên đơn vị"]),
    ("/deadline", ["Press answer deadline calculator", "Request type", "Date received (day/month/year)", "value=\"Calculate\"",
                   "Statement on an unexpected or unusual event"],
     ["Tính thời hạn trả lời báo chí", "Loại yêu cầu", "Ngày nhận (ngày/tháng/năm)",
      "Phát ngôn khi có sự kiện đột xuất, bất thường"]),
    ("/login", ["Staff sign-in", "Password", "Keep me signed in on this device", "Sign in"],
     ["Cán bộ đăng nhập", "Mật khẩu", "Ghi nhớ đăng nhập trên máy này", "Đăng nhập"]),
]


@pytest.fixture()
def fresh_client(app: Flask, make_app: Callable[..., Flask]) -> Iterator[FlaskClient]:
    """Return a client whose every request gets a new app context (and so a new ``g``)."""
    second = make_app()
    yield second.test_client()
    with second.app_context():  # close this app's own connection pool, as the `app` fixture does
        db.session.remove()
        db.engine.dispose()


def _text(response: Any) -> str:
    """Return the page as text, entities decoded, so apostrophes and quotes compare plainly."""
    return html.unescape(response.get_data(as_text=True))


def _page(client: FlaskClient, path: str) -> str:
    """Return the text of a page that must answer 200."""
    response = client.get(path)
    assert response.status_code == 200
    return _text(response)


def _visible_vietnamese(page: str) -> list[str]:
    """Return the visible text lines of a page that still contain Vietnamese letters."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    lines = re.sub(r"<[^>]+>", "\n", body).splitlines()
    leftovers = []
    for line in lines:
        for kept in KEPT_VIETNAMESE:
            line = line.replace(kept, "")
        if VIETNAMESE_LETTER.search(line):
            leftovers.append(line.strip())
    return leftovers


def _switch_to_english(client: FlaskClient) -> None:
    response = client.get("/lang/en")
    assert response.status_code == 302


@pytest.mark.parametrize(("path", "english", "vietnamese"), PAGES, ids=[p[0] for p in PAGES])
def test_public_page_in_english(fresh_client: FlaskClient, rulebooks: None, path: str, english: list[str],
                                vietnamese: list[str]) -> None:
    _switch_to_english(fresh_client)
    page = _page(fresh_client, path)
    assert '<html lang="en">' in page
    for label in english:
        assert label in page, f"{label!r} missing on {path}"
    for label in vietnamese:
        assert label not in page, f"Vietnamese {label!r} still on {path}"


@pytest.mark.parametrize("path", ["/", "/ask", "/track", "/login"])
def test_english_page_has_no_vietnamese_text_left(fresh_client: FlaskClient, path: str) -> None:
    """With no data shown, every visible string comes from the catalogue: none may stay Vietnamese."""
    _switch_to_english(fresh_client)
    page = _text(fresh_client.get(path))
    assert _visible_vietnamese(page) == []


@pytest.mark.parametrize(("path", "english", "vietnamese"), PAGES, ids=[p[0] for p in PAGES])
def test_public_page_is_vietnamese_by_default(fresh_client: FlaskClient, rulebooks: None, path: str,
                                              english: list[str], vietnamese: list[str]) -> None:
    page = _page(fresh_client, path)
    assert '<html lang="vi">' in page
    for label in vietnamese:
        assert label in page, f"Vietnamese {label!r} missing on {path}"
    assert "Ask a question" not in page and "Skip to main content" not in page


def test_switching_back_to_vietnamese(fresh_client: FlaskClient) -> None:
    _switch_to_english(fresh_client)
    assert "Ask a question" in _text(fresh_client.get("/"))
    fresh_client.get("/lang/vi")
    page = _text(fresh_client.get("/"))
    assert "Gửi câu hỏi" in page and "Ask a question" not in page


def test_browser_preferring_vietnamese_anywhere_stays_vietnamese(fresh_client: FlaskClient) -> None:
    mixed = _text(fresh_client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,vi;q=0.5"}))
    assert "Gửi câu hỏi" in mixed
    english_only = _text(fresh_client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Ask a question" in english_only and "Gửi câu hỏi" not in english_only


def test_form_errors_are_english(fresh_client: FlaskClient) -> None:
    """Lazy strings of form labels and validators are resolved in the request's language."""
    _switch_to_english(fresh_client)
    response = fresh_client.post("/track", data={"reference": "", "email": ""})
    assert response.status_code == 400
    page = _text(response)
    assert "Please enter the reference number." in page
    assert "Vui lòng nhập mã yêu cầu." not in page


def test_deadline_result_in_english(fresh_client: FlaskClient, rulebooks: None) -> None:
    """Labels around the computed deadline are English (the generated steps stay Vietnamese for now)."""
    _switch_to_english(fresh_client)
    page = _page(fresh_client, "/deadline?type=information&received_date=01/07/2026&received_time=09:30")
    for label in ("Result", "Vietnam time", "Counting starts", "Days skipped", "working days"):
        assert label in page, label
    for label in ("Kết quả", "Bắt đầu tính", "Ngày được bỏ qua", "Cách tính, từng bước"):
        assert label not in page, label


def test_directory_keeps_vietnamese_proper_names(fresh_client: FlaskClient, make_unit, make_user) -> None:
    unit = make_unit("AM-X", "Ủy ban nhân dân xã An Mỹ")
    make_user("spokesperson", unit, name="Nguyễn Văn An", title="Phó Chủ tịch", designate="designated")
    _switch_to_english(fresh_client)
    page = _text(fresh_client.get("/spokespersons"))
    assert "Ủy ban nhân dân xã An Mỹ" in page and "Nguyễn Văn An" in page
    assert "Person assigned to speak" in page and "Document no." in page
    assert "Người được giao nhiệm vụ phát ngôn" not in page and "Văn bản số" not in page
