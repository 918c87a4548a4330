"""What QA found in the real portal: nothing a journalist typed, sent or was shown may be lost.

The one-time confirmation behind a language link, a file on a type that ignores it, the
interview wished for, a form too big or sent too often, a look-up with a mistyped address;
and the small things: honest wording, heading levels, punctuation, the unit preselected.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from spokes.attachments.models import Attachment
from spokes.extensions import db
from spokes.notifications.models import OutboxMail
from spokes.press_requests.models import PressRequest

from .helpers import PDF, form_data, kept, token_from

INTERVIEW = {"type": "interview", "interview_date": "2026-03-20", "interview_time": "09:30",
             "interview_place": "Trụ sở UBND xã"}


def _count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _footer(body: str) -> str:
    return body[body.index("<footer"):body.index("</footer>")]


# --------------------------------------------------------------------------- the language switch


def test_a_page_read_by_get_links_to_the_other_language_and_back_to_itself(client, commune):
    footer = _footer(client.get("/ask?unit=AM-DHU").get_data(as_text=True))
    assert 'href="/lang/en?next=/ask?unit%3DAM-DHU" lang="en">English</a>' in footer
    assert 'href="/lang/vi?next=/ask?unit%3DAM-DHU" lang="vi">Tiếng Việt</a>' in footer


def test_the_confirmation_offers_no_language_link_that_would_lose_the_one_time_link(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"]))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    token_from(body)  # the link is on the page
    footer = _footer(body)
    assert "/lang/" not in footer
    # The other language is still named, with a note in that language of why and where to switch.
    assert '<span lang="en">English: ' in footer
    assert "please switch language on the next page." in footer  # said in English, for the English reader
    assert 'lang="vi">Tiếng Việt' not in footer  # the page already speaks it


def test_a_form_sent_back_with_errors_offers_no_language_link_either(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], subject=""))
    assert response.status_code == 400
    assert kept(response.get_data(as_text=True), "Nguyễn Thị Phóng Viên")
    assert "/lang/" not in _footer(response.get_data(as_text=True))


def test_an_english_reader_of_a_form_result_sees_the_vietnamese_note(client, commune):
    client.get("/lang/en")
    footer = _footer(client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True))
    assert "/lang/" not in footer
    assert '<span lang="vi">Tiếng Việt: Trang này là kết quả của biểu mẫu vừa gửi' in footer


# --------------------------------------------------------------------------- wording


def test_the_form_does_not_promise_a_statutory_deadline_for_every_type(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    assert "hạn trả lời theo quy định" not in body
    assert "thời hạn luật định, hoặc chỉ tiêu nội bộ của đơn vị khi chưa xác định được thời hạn luật định" in body


def test_headings_on_the_form_never_skip_a_level(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    main = body[body.index('<main'):body.index('</main>')]
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", main)]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


def test_the_withdraw_error_summary_has_no_double_punctuation(app, client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    req = db.session.execute(select(PressRequest)).scalar_one()
    db.session.commit()
    browser = app.test_client()
    browser.get(f"/track/{token_from(body)}")
    response = browser.post(f"/track/request/{req.reference}/withdraw", data={"withdraw-reason": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page[page.index('id="form-errors"'):]
    summary = summary[:summary.index("</div>")]
    assert "Vui lòng đánh dấu ô xác nhận để rút yêu cầu." in summary
    assert ".</a>:" not in summary and ".:" not in summary


# --------------------------------------------------------------------------- the unit preselected


def test_the_unit_page_asks_that_unit_and_the_form_preselects_it(client, commune):
    dhu = commune["dhu"]
    page = client.get(f"/units/{dhu.code}").get_data(as_text=True)
    assert f'href="/ask?unit={dhu.code}"' in page
    body = client.get(f"/ask?unit={dhu.code}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{dhu.id}">|<option value="{dhu.id}" selected>', body), \
        re.findall(rf'<option[^>]*value="{dhu.id}"[^>]*>', body)


@pytest.mark.parametrize("code", ["KHONG-CO", "", "x" * 500])
def test_an_unknown_unit_code_preselects_nothing(client, commune, code):
    response = client.get("/ask", query_string={"unit": code})
    assert response.status_code == 200
    assert " selected" not in response.get_data(as_text=True).split('id="unit"')[1].split("</select>")[0]


def test_an_inactive_unit_is_not_preselected(client, commune):
    commune["dhu"].is_active = False
    db.session.commit()
    body = client.get(f"/ask?unit={commune['dhu'].code}").get_data(as_text=True)
    assert " selected" not in body.split('id="unit"')[1].split("</select>")[0]


# --------------------------------------------------------------------------- the interview wished for


def test_the_interview_wished_for_shows_on_the_confirmation_and_the_tracking_page(client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"], **INTERVIEW)).get_data(as_text=True)
    assert "Thời gian muốn phỏng vấn" in body and "20/03/2026 09:30" in body
    assert "Địa điểm mong muốn" in body and "Trụ sở UBND xã" in body
    page = client.get(f"/track/{token_from(body)}").get_data(as_text=True)
    assert "20/03/2026 09:30" in page and "Trụ sở UBND xã" in page


def test_an_interview_without_a_place_says_it_is_at_the_units_office(client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"], **{**INTERVIEW, "interview_place": ""})
                       ).get_data(as_text=True)
    assert "20/03/2026 09:30" in body and "Tại trụ sở đơn vị" in body


def test_other_types_show_no_interview_row(client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    assert "Thời gian muốn phỏng vấn" not in body


# --------------------------------------------------------------------------- the agency document


def test_the_document_block_names_the_types_that_use_it_for_the_script(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    block = re.search(r'<fieldset[^>]*id="agency-document-fields"[^>]*>', body).group(0)
    types = re.search(r'data-types="([^"]*)"', block).group(1).split()
    assert sorted(types) == sorted(["press_answer", "forwarded_feedback", "forwarded_complaint",
                                    "forwarded_denunciation"])
    assert " hidden" not in block  # the script hides it; without the script it stays


@pytest.mark.parametrize("extra", [{"type": "information"}, INTERVIEW])
def test_a_document_sent_with_a_type_that_ignores_it_is_kept_and_the_journalist_told(client, commune, extra):
    response = client.post("/ask", data=form_data(commune["dhu"], **extra,
                                                  agency_document=(io.BytesIO(PDF), "cong-van.pdf")))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert req.type == extra["type"] and req.requested_type is None
    [doc] = db.session.execute(select(Attachment).where(Attachment.request_id == req.id)).scalars().all()
    assert (doc.purpose, doc.is_public, doc.display_name) == ("evidence", False, "cong-van.pdf")
    assert "“cong-van.pdf”" in body and "tài liệu kèm câu hỏi" in body


def test_a_bad_document_is_refused_whatever_the_type(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], agency_document=(io.BytesIO(b"MZ\x90\x00"), "a.pdf")))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="agency_document-error"' in body and "vui lòng chọn lại tệp" in body
    assert _count(PressRequest) == 0 and _count(Attachment) == 0


# --------------------------------------------------------------------------- /track look-up


def test_the_lookup_refuses_a_malformed_address_and_keeps_it(client, commune):
    response = client.post("/track", data={"reference": "AM-DHU-2026-00001", "email": "not-an-email"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-error"' in body and "Địa chỉ thư điện tử không hợp lệ" in body
    assert kept(body, "not-an-email") and kept(body, "AM-DHU-2026-00001")
    assert 'id="link-sent"' not in body
    assert _count(OutboxMail) == 0


# --------------------------------------------------------------------------- too big, too often


def test_a_post_over_the_size_limit_names_the_file_limit_and_offers_going_back(other_app, commune):
    small = other_app(MAX_CONTENT_LENGTH=4000)
    db.session.commit()
    data = form_data(commune["dhu"], credential="letter", letter=(io.BytesIO(PDF + b"0" * 8000), "giay.pdf"))
    response = small.test_client().post("/ask", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Mỗi tệp gửi kèm tối đa 10 MB." in body
    assert "Quay lại" in body and "nội dung đã nhập thường vẫn còn" in body
    # A button that goes back in the browser's history (which keeps what was typed), shown by the script.
    assert re.search(r"<button[^>]*data-history-back[^>]*hidden", body)
    assert "/static/js/portal.js" in body
    assert _count(PressRequest) == 0


def test_a_staff_page_over_the_size_limit_does_not_claim_the_public_file_limit(other_app, commune):
    small = other_app(MAX_CONTENT_LENGTH=100)
    response = small.test_client().post("/login", data={"email": "a@b.vn", "password": "x" * 200})
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "10 MB" not in body and "Quay lại" in body


def test_the_too_many_requests_page_says_how_long_to_wait(other_app, commune):
    limited = other_app(RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="1 per hour")
    db.session.commit()
    c = limited.test_client()
    assert c.post("/ask", data=form_data(commune["dhu"])).status_code == 200
    response = c.post("/ask", data=form_data(commune["dhu"], subject="Một câu hỏi khác về kênh Xẻo Nhàu"))
    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 3500 < int(response.headers["Retry-After"]) <= 3601
    assert "Vui lòng thử lại sau khoảng 60 phút." in body
    assert "vài phút" not in body


def test_a_daily_limit_is_told_in_hours(other_app, commune):
    limited = other_app(RATELIMIT_ENABLED=True, TRACK_LOOKUP_RATE_LIMIT="1 per day")
    c = limited.test_client()
    assert c.post("/track", data={"reference": "X-1", "email": "pv@baochi.vn"}).status_code == 200
    response = c.post("/track", data={"reference": "X-2", "email": "pv@baochi.vn"})
    assert response.status_code == 429
    assert "Vui lòng thử lại sau khoảng 24 giờ." in response.get_data(as_text=True)


def test_typing_mistakes_do_not_use_up_the_hourly_question_limit(other_app, commune):
    limited = other_app(RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="2 per hour")
    db.session.commit()
    c = limited.test_client()
    assert [c.post("/ask", data=form_data(commune["dhu"], subject="")).status_code for _ in range(5)] == [400] * 5
    subjects = ("Câu hỏi thứ nhất về kênh", "Câu hỏi thứ hai về kênh", "Câu hỏi thứ ba về kênh")
    codes = [c.post("/ask", data=form_data(commune["dhu"], subject=s)).status_code for s in subjects]
    assert codes == [200, 200, 429]
    assert _count(PressRequest) == 2


def test_endless_failed_posts_are_still_limited(other_app, commune):
    limited = other_app(RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="2 per hour",
                        PUBLIC_FORM_ATTEMPT_RATE_LIMIT="4 per hour")
    db.session.commit()
    c = limited.test_client()
    codes = [c.post("/ask", data={}).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 429]
    assert c.get("/ask").status_code == 200  # reading the form is never limited
