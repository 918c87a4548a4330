"""The question form in a real browser: nothing typed, sent or shown once is lost.

The agency-document block follows the chosen type (the script hides it where it is ignored);
a post over the size limit explains the per-file limit and goes back to the form with what was
typed; and the confirmation, shown once, offers no language link that would reload it empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.concurrency.live import LiveInstance, live_instance
from tests.e2e.conftest import _require_chromium

pytestmark = pytest.mark.e2e

UNIT = "UBND xã An Minh"
TIMEOUT_MS = 15_000
SIZE_LIMIT = 200_000  # MAX_CONTENT_LENGTH of this module's server, so a small file is "too large"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveInstance]:
    """Serve a fresh demo instance whose whole-post limit is small (the conftest's browser uses it)."""
    _require_chromium()
    with live_instance(tmp_path_factory.mktemp("e2e-ask"), "e2e-ask",
                       config={"MAX_CONTENT_LENGTH": SIZE_LIMIT}) as instance:
        instance.gunicorn("gunicorn-e2e-ask", workers=1, threads=4)
        yield instance


@pytest.fixture()
def page(browser: Any, live_server: LiveInstance) -> Iterator[Any]:
    """Open a desktop page in Vietnamese on the module's server."""
    context = browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fill_question(page: Any, subject: str) -> None:
    page.goto("/ask")
    page.get_by_role("textbox", name="Họ và tên").fill("Nguyễn Thị Phóng Viên")
    page.get_by_role("textbox", name="Cơ quan báo chí").fill("Báo và Phát thanh, Truyền hình An Giang")
    page.get_by_role("textbox", name="Thư điện tử").fill("pv.e2e.ask@baoangiang.vn")
    page.get_by_role("textbox", name="Số điện thoại").fill("0912 345 678")
    page.get_by_role("textbox", name="Số thẻ nhà báo").fill("BC-12345")
    page.get_by_label("Ngày hết hạn của thẻ").fill((date.today() + timedelta(days=700)).isoformat())
    option = page.locator("#unit option").filter(has_text=re.compile(rf"^\s*{UNIT}\s*$"))
    page.locator("#unit").select_option(option.get_attribute("value"))
    page.locator("input[name=type][value=information]").check()
    page.get_by_role("textbox", name="Tiêu đề").fill(subject)
    page.get_by_role("textbox", name="Nội dung câu hỏi").fill("Xin cho biết tiến độ và kinh phí của công trình.")


def test_the_agency_document_block_shows_only_for_the_types_that_use_it(page: Any) -> None:
    page.goto("/ask")
    block = page.locator("#agency-document-fields")
    expect(block).to_be_hidden()  # no type chosen yet
    for code, shown in (("information", False), ("press_answer", True), ("interview", False),
                        ("forwarded_complaint", True)):
        page.locator(f"input[name=type][value={code}]").check()
        if shown:
            expect(block).to_be_visible()
        else:
            expect(block).to_be_hidden()


def test_a_refused_document_stays_in_view_whatever_the_type(page: Any, tmp_path: Path) -> None:
    program = tmp_path / "cong-van.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)  # a Windows program, whatever its name says
    _fill_question(page, "Câu hỏi kèm tệp không hợp lệ")
    page.locator("input[name=type][value=press_answer]").check()
    page.locator("#agency_document").set_input_files(str(program))
    page.locator("input[name=type][value=information]").check()  # the block hides; the file is still sent
    page.get_by_role("button", name="Gửi câu hỏi").click()
    expect(page.locator("#agency_document-error")).to_be_visible()
    expect(page.locator("#agency-document-fields")).to_be_visible()


def test_a_post_over_the_size_limit_says_the_file_limit_and_goes_back_to_the_typed_form(
        page: Any, tmp_path: Path) -> None:
    big = tmp_path / "cong-van.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (SIZE_LIMIT * 2))
    _fill_question(page, "Câu hỏi kèm tệp quá lớn")
    page.locator("input[name=type][value=press_answer]").check()
    page.locator("#agency_document").set_input_files(str(big))
    page.get_by_role("button", name="Gửi câu hỏi").click()
    expect(page.locator("h1")).to_have_text("Tệp hoặc dữ liệu gửi lên quá lớn")
    expect(page.locator("main")).to_contain_text("Mỗi tệp gửi kèm tối đa 10 MB.")
    page.get_by_role("button", name="Quay lại trang trước").click()
    expect(page).to_have_url(re.compile(r"/ask$"))
    expect(page.get_by_role("textbox", name="Tiêu đề")).to_have_value("Câu hỏi kèm tệp quá lớn")


def test_the_confirmation_keeps_its_one_time_link_out_of_reach_of_a_language_link(page: Any) -> None:
    _fill_question(page, "Câu hỏi để kiểm tra nút đổi ngôn ngữ")
    page.get_by_role("button", name="Gửi câu hỏi").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã tiếp nhận câu hỏi")
    expect(page.locator("#tracking-link")).to_have_value(re.compile(r"/track/"))
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name="English")).to_have_count(0)
    expect(footer.locator("[lang=en]")).to_contain_text("English:")
    # On the next page (the tracking page) the language can be switched again.
    page.get_by_role("link", name="Mở trang theo dõi").click()
    footer.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
