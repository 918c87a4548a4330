"""A question's whole life in a real browser (issue 10, point 3).

A journalist on a phone asks UBND xã An Minh through /ask and keeps the tracking link; the
clerk sees the request in the unit's queue; it went automatically to the deputy chair, the
unit's designated spokesperson, who drafts the answer and submits it; the chair
approves and publishes it; the journalist's tracking page and the Atom feed then show it.
Then a second question is refused on a legal ground with a reason, approved by the chair,
and the journalist, asking /track for a new link by reference and e-mail from another phone
and opening the link that reaches the mailbox, reads the ground and the reason.

Every step leaves a screenshot in ci-output/e2e/NN-step.png.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.concurrency.live import LiveInstance
from tests.e2e.pages import log_in

pytestmark = pytest.mark.e2e

CLERK = "vanthu.anminh@angiang.demo"
CHAIR = "chutich.anminh@angiang.demo"
DEPUTY = "phatngon.anminh@angiang.demo"
DEPUTY_NAME = "Trương Thị Mai"
UNIT = "UBND xã An Minh"
JOURNALIST_EMAIL = "phongvien.e2e@baoangiang.vn"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
ATOM = "{http://www.w3.org/2005/Atom}"
TIMEOUT_MS = 15_000


class Steps:
    """Numbered screenshots of the journey."""

    def __init__(self, folder: Path) -> None:
        """Write screenshots into ``folder``."""
        self.folder = folder
        self.number = 0

    def shot(self, page: Any, name: str) -> None:
        """Save the whole page as the next numbered step."""
        self.number += 1
        page.screenshot(path=str(self.folder / f"{self.number:02d}-{name}.png"), full_page=True)


@pytest.fixture()
def contexts(browser: Any, live_server: LiveInstance) -> Iterator[dict[str, Any]]:
    """Open one browser context per device: the journalist's two phones and three staff desktops."""
    opened = {
        **{who: browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN", **PHONE)
           for who in ("journalist", "journalist-2")},
        **{who: browser.new_context(base_url=live_server.servers[0].base_url, locale="vi-VN", **DESKTOP)
           for who in ("clerk", "chair", "deputy")},
    }
    for context in opened.values():
        context.set_default_timeout(TIMEOUT_MS)
    try:
        yield opened
    finally:
        for context in opened.values():
            context.close()


def _fits_the_phone(page: Any) -> bool:
    """Return whether the page needs no sideways scrolling at the width it was opened with.

    Not ``window.innerWidth``: a phone context zooms out to fit a wide page, and its inner
    width then grows with the page.
    """
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _flash(page: Any, text: str) -> None:
    """Fail unless the page shows this success message."""
    expect(page.locator(".alert").filter(has_text=text).first).to_be_visible()


def ask(page: Any, subject: str, questions: str) -> tuple[str, str]:
    """Fill /ask as a journalist on a phone; return (reference, tracking link) from the confirmation."""
    page.goto("/ask")
    page.get_by_role("textbox", name="Họ và tên").fill("Nguyễn Thị Phóng Viên")
    page.get_by_role("textbox", name="Cơ quan báo chí").fill("Báo và Phát thanh, Truyền hình An Giang")
    page.get_by_role("textbox", name="Thư điện tử").fill(JOURNALIST_EMAIL)
    page.get_by_role("textbox", name="Số điện thoại").fill("0912 345 678")
    page.get_by_role("textbox", name="Số thẻ nhà báo").fill("BC-12345")
    page.get_by_label("Ngày hết hạn của thẻ").fill((date.today() + timedelta(days=700)).isoformat())
    # The unit list is long: type in its accent-insensitive filter box, as a phone user would.
    page.locator("#unit-filter").fill("an minh")
    option = page.locator("#unit option:not([hidden])").filter(has_text=re.compile(rf"^\s*{UNIT}\s*$"))
    unit_value = option.get_attribute("value")
    page.locator("#unit").select_option(unit_value)
    page.locator("input[name=type][value=information]").check()
    page.get_by_role("textbox", name="Tiêu đề").fill(subject)
    page.get_by_role("textbox", name="Nội dung câu hỏi").fill(questions)
    page.get_by_label("Tôi đồng ý công bố họ tên").check()
    page.get_by_role("button", name="Gửi câu hỏi").tap()
    expect(page.locator(".alert-success")).to_contain_text("Đã tiếp nhận câu hỏi")
    reference = page.locator(".reference").first.inner_text().strip()
    link = page.locator("#tracking-link").input_value()
    assert re.fullmatch(r"AG-ANMINH-\d{4}-\d{5}", reference), reference
    assert "/track/" in link, link
    return reference, link


def _newest_tracking_link(live_server: LiveInstance) -> str:
    """Return the path of the tracking link in the newest mail to the journalist (their mailbox)."""
    from sqlalchemy import select

    from spokes.extensions import db
    from spokes.notifications.models import OutboxMail

    with live_server.app_context():
        body = db.session.execute(select(OutboxMail.body_text).where(OutboxMail.to_address == JOURNALIST_EMAIL)
                                  .order_by(OutboxMail.id.desc()).limit(1)).scalar_one()
    match = re.search(r"/track/[A-Za-z0-9_-]{20,}", body)
    assert match, body
    return match.group(0)


def open_request(page: Any, reference: str, tab: str) -> None:
    """Open a request from the user's queue (the given tab) by its reference."""
    page.goto(f"/staff/requests/?tab={tab}")
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.locator("main header")).to_contain_text(reference)


def act(page: Any, verb: str, fill: Any = None) -> None:
    """Open an action panel of the request page, fill it and submit it."""
    panel = page.locator(f"#panel-{verb}")
    panel.locator("summary").click()
    if fill is not None:
        fill(panel)
    panel.locator("input[type=submit], button[type=submit]").click()


def test_question_answered_published_then_refused(contexts: dict[str, Any], live_server: LiveInstance,
                                                   screenshots: Path) -> None:
    steps = Steps(screenshots)
    phone = contexts["journalist"].new_page()
    subject = "Tiến độ nạo vét kênh Thứ Mười Một"
    answer_text = "Công trình nạo vét kênh Thứ Mười Một đã hoàn thành 80% khối lượng, dự kiến xong trước Tết."

    # 1. The journalist asks from a phone and gets the reference and the tracking link.
    phone.goto("/ask")
    steps.shot(phone, "journalist-opens-ask-form-on-phone")
    assert _fits_the_phone(phone), "the question form scrolls sideways on a phone"
    reference, link = ask(phone, subject, "Đề nghị UBND xã cho biết tiến độ, kinh phí và thời gian hoàn thành.")
    steps.shot(phone, "journalist-gets-reference-and-tracking-link")
    assert _fits_the_phone(phone), "the confirmation scrolls sideways on a phone"

    # 2. The clerk sees it in the unit's queue.
    clerk = log_in(contexts["clerk"], CLERK)
    clerk.goto("/staff/requests/?tab=unit")
    row = clerk.locator("tr").filter(has_text=reference)
    expect(row).to_contain_text(subject)
    expect(row).to_contain_text("Nguyễn Thị Phóng Viên")
    steps.shot(clerk, "clerk-sees-it-in-the-queue")

    # 3. It went to the deputy, the unit's designated spokesperson; the chair sees who holds it.
    chair = log_in(contexts["chair"], CHAIR)
    open_request(chair, reference, "unit")
    expect(chair.locator("main header")).to_contain_text(DEPUTY_NAME)
    steps.shot(chair, "chair-sees-it-went-to-the-spokesperson")

    # 4. The deputy (the spokesperson now) drafts the answer and submits it for approval.
    deputy = log_in(contexts["deputy"], DEPUTY)
    open_request(deputy, reference, "mine")
    act(deputy, "draft", lambda panel: panel.get_by_label("Nội dung trả lời").fill(answer_text))
    _flash(deputy, "Đã lưu dự thảo.")
    act(deputy, "submit")
    _flash(deputy, "Đã trình duyệt dự thảo.")
    steps.shot(deputy, "spokesperson-drafts-and-submits")

    # 5. The chair approves: the answer goes to the journalist.
    open_request(chair, reference, "unit")
    expect(chair.locator("#panel-approve")).to_be_visible()
    act(chair, "approve")
    _flash(chair, "Đã duyệt; nội dung đã được gửi cho phóng viên.")
    steps.shot(chair, "head-approves")

    # 6. The chair publishes the answer on the news feed.
    chair.get_by_role("link", name="Đăng câu trả lời lên trang tin").click()
    chair.wait_for_url(re.compile(r"/staff/publications/new\?request_id=\d+$"))
    title = chair.get_by_label("Tiêu đề").input_value()
    assert title, "the publication form is not prefilled"
    steps.shot(chair, "publication-form")
    chair.get_by_role("button", name="Đăng lên trang tin").click()
    chair.wait_for_url(re.compile(r"/news/[\w-]+$"))
    _flash(chair, "Đã đăng câu trả lời lên trang tin")
    item_url = chair.url
    expect(chair.locator("main")).to_contain_text(answer_text)
    steps.shot(chair, "published-item")

    # 7. The journalist's tracking page shows the answer and the publication.
    phone.goto(link)
    expect(phone.locator("#answer")).to_contain_text(answer_text)
    timeline = phone.locator("ol.timeline")
    expect(timeline).to_contain_text("Đã trả lời")
    expect(timeline.locator("li.timeline-published")).to_contain_text("Đã đăng trên trang tin")
    expect(phone.get_by_role("link", name=title).first).to_be_visible()
    steps.shot(phone, "journalist-tracking-shows-answer-and-publication")

    # 8. The Atom feed carries the item.
    feed = phone.request.get("/feed.atom")
    assert feed.status == 200 and "atom" in feed.headers["content-type"], feed.headers
    entries = ET.fromstring(feed.body()).findall(f"{ATOM}entry")
    published = [e for e in entries if (e.findtext(f"{ATOM}title") or "").strip() == title]
    assert published, [e.findtext(f"{ATOM}title") for e in entries]
    links = [el.get("href") for el in published[0].findall(f"{ATOM}link")]
    assert any(href and href.split("/news/")[-1] == item_url.split("/news/")[-1] for href in links), links
    phone.goto("/feed.atom")
    steps.shot(phone, "atom-feed-has-the-item")

    # 9. The refusal path: a second question, refused on a legal ground, approved by the chair.
    subject2 = "Yêu cầu giải quyết đơn tố cáo tại ấp Xẻo Quao"
    reason = "Vụ việc đang được thanh tra tỉnh xác minh, chưa có kết luận chính thức."
    reference2, _link = ask(phone, subject2, "Đề nghị cung cấp toàn bộ yêu cầu giải quyết đơn tố cáo tại ấp Xẻo Quao.")
    steps.shot(phone, "journalist-asks-second-question")
    open_request(deputy, reference2, "mine")
    ground: dict[str, str] = {}

    def refuse(panel: Any) -> None:
        panel.locator("input[name='draft-kind'][value=refusal]").check()
        select = panel.get_by_label("Căn cứ từ chối")
        expect(select).to_be_visible()  # the answer box gives way to the refusal fields
        option = select.locator("option").filter(has_text=re.compile(r"^c\)")).first
        ground["label"] = option.inner_text()
        select.select_option(option.get_attribute("value"))
        panel.get_by_label("Lý do từ chối cụ thể").fill(reason)

    act(deputy, "draft", refuse)
    _flash(deputy, "Đã lưu dự thảo.")
    act(deputy, "submit")
    _flash(deputy, "Đã trình duyệt dự thảo.")
    steps.shot(deputy, "spokesperson-proposes-refusal")
    open_request(chair, reference2, "unit")
    act(chair, "approve")
    _flash(chair, "Đã duyệt; nội dung đã được gửi cho phóng viên.")
    steps.shot(chair, "head-approves-refusal")

    # 10. On another phone, the journalist asks /track for a new link by reference and e-mail
    #     (which opens nothing by itself), opens the link from the mailbox, and reads the legal
    #     ground and the reason. Nothing of a refusal reaches the news feed.
    other_phone = contexts["journalist-2"].new_page()
    other_phone.goto("/track")
    other_phone.get_by_role("textbox", name="Mã yêu cầu").fill(reference2)
    other_phone.get_by_role("textbox", name="Thư điện tử").fill(JOURNALIST_EMAIL)
    other_phone.get_by_role("button", name="Gửi đường dẫn theo dõi mới").tap()
    expect(other_phone.locator("#link-sent")).to_contain_text("đường dẫn theo dõi mới")
    other_phone.goto(_newest_tracking_link(live_server))
    outcome = other_phone.locator("#answer")
    expect(outcome).to_contain_text("Thông báo từ chối cung cấp thông tin")
    expect(outcome).to_contain_text(re.sub(r"^c\)\s*", "", ground["label"]))  # "text (source)"
    expect(outcome).to_contain_text(reason)
    expect(other_phone.locator("ol.timeline li.timeline-refusal")).to_contain_text(reason)
    steps.shot(other_phone, "journalist-sees-refusal-ground-and-reason-on-track")
    assert _fits_the_phone(other_phone), "the tracking page scrolls sideways on a phone"
    assert subject2 not in other_phone.request.get("/feed.atom").text()

    assert len(list(screenshots.glob("*.png"))) == steps.number == 14
