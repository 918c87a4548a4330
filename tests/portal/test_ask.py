"""The public question form: happy paths, validation, credentials, uploads, abuse, repeats."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.deadlines.explain import render_step
from spokes.extensions import db
from spokes.notifications.models import OutboxMail
from spokes.attachments.store import upload_root
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Journalist, PressRequest

from .helpers import NOW, PDF, PNG, form_data, is_checked, kept, token_from

AGENCY_TYPES = ("press_answer", "forwarded_feedback", "forwarded_complaint", "forwarded_denunciation")


def _count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _only_request() -> PressRequest:
    db.session.expire_all()
    rows = db.session.execute(select(PressRequest)).scalars().all()
    assert len(rows) == 1
    return rows[0]


# --------------------------------------------------------------------------- the page


def test_form_renders_every_field_without_javascript(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    for name in ("name", "agency", "email", "phone", "card_number", "card_expiry", "letter", "unit", "subject",
                 "questions", "article_url", "interview_date", "interview_time", "interview_place", "consent"):
        assert f'name="{name}"' in body, name
    # Nothing is hidden server-side: the page is complete without JavaScript.
    assert " hidden" not in body.split('id="ask-form"')[1].split("</form>")[0]
    assert 'enctype="multipart/form-data"' in body
    assert 'name="viewport"' in body


def test_type_choices_exclude_emergency_and_carry_one_line_help(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    for code in ("information", "interview", "press_answer", "forwarded_feedback", "forwarded_complaint",
                 "forwarded_denunciation"):
        assert f'value="{code}"' in body
    assert 'value="emergency"' not in body
    assert 'aria-describedby="type-1-help"' in body and 'id="type-1-help"' in body
    assert "Bạn muốn phỏng vấn người phát ngôn" in body


def test_unit_select_lists_active_units_in_tree_order_after_unknown(client, commune):
    commune["other_district"].is_active = False
    db.session.commit()
    body = client.get("/ask").get_data(as_text=True)
    select_html = body[body.index('<select'):body.index('</select>')]
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', select_html)
    assert options[0] == ("0", "Không rõ đơn vị nào (chuyển văn phòng tiếp nhận)")
    names = [label.strip("\u00a0 ") for _value, label in options[1:]]
    assert names == ["Ủy ban nhân dân tỉnh Kiên Giang", "Ủy ban nhân dân huyện An Minh",
                     "Phòng Văn hóa và Thông tin huyện An Minh", "UBND xã Đông Hưng", "UBND xã Vân Khánh"]
    assert "Hòn Đất" not in select_html
    # A commune sits two levels below the province: indented under its district.
    dhu_label = dict(options)[str(commune["dhu"].id)]
    assert dhu_label.startswith("\u00a0" * 6)


def test_every_control_has_a_label(client, commune):
    from html.parser import HTMLParser

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.controls: list[str] = []
            self.labels: set[str] = set()

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "label" and a.get("for"):
                self.labels.add(a["for"])
            if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
                self.controls.append(a.get("id") or "")

    parser = Collector()
    parser.feed(client.get("/ask").get_data(as_text=True))
    assert parser.controls
    assert all(c and c in parser.labels for c in parser.controls), set(parser.controls) - parser.labels


def test_honeypot_is_hidden_unfocusable_and_labelled(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    block = body[body.index('class="hp-field"'):]
    block = block[:block.index("</div>")]
    assert "Để trống ô này" in block
    assert 'tabindex="-1"' in block and 'autocomplete="off"' in block


# --------------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("type_", ["information", "interview", "press_answer", "forwarded_feedback", "forwarded_complaint",
                                   "forwarded_denunciation"])
def test_happy_path_for_each_type(client, commune, type_):
    extra = {"interview_date": "2026-03-20", "interview_time": "09:30", "interview_place": "Trụ sở UBND xã"} \
        if type_ == "interview" else {}
    if type_ in AGENCY_TYPES:  # the press agency's document starts these clocks (issue 15, item 6)
        extra["agency_document"] = (io.BytesIO(PDF), "yeu-cau.pdf")
    response = client.post("/ask", data=form_data(commune["dhu"], type=type_, **extra))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    req = _only_request()
    assert (req.type, req.channel, req.unit_id) == (type_, "web_form", commune["dhu"].id)
    assert req.reference.startswith("AM-DHU-2026-")
    assert req.reference in body
    assert "Đã tiếp nhận câu hỏi của anh/chị" in body
    # Due date and its explanation (steps; the citation only when verified; no staff wording).
    assert "Hạn trả lời" in body and "Cách tính thời hạn" in body
    assert "Độ tin cậy" not in body and "quản trị viên" not in body
    assert render_step(req.deadline_explanation["steps"][0]) in body
    if req.deadline_explanation["confidence"] == "U":
        assert req.deadline_explanation["citation"]["text"] not in body
        assert "Thời hạn trả lời theo quy định" not in body and "chỉ tiêu nội bộ của đơn vị" in body
    else:
        assert req.deadline_explanation["citation"]["text"] in body
        assert "Thời hạn trả lời theo quy định" in body
    # The spokesperson and the one-time tracking link.
    assert "Nguyễn Văn Hải" in body and "Chủ tịch UBND xã Đông Hưng" in body
    assert req.token_hash == hashlib.sha256(token_from(body).encode()).hexdigest()
    # The journalist's details.
    journalist = req.journalist
    assert (journalist.name, journalist.email, journalist.phone) == ("Nguyễn Thị Phóng Viên", "pv.nguyen@baokg.vn", "0912 345 678")
    assert journalist.agency.name == "Báo Kiên Giang"
    # The request keeps the details and the consent given with it (issue 17).
    assert (req.contact_name, req.contact_agency, req.contact_phone, req.consent_publish_name) == (
        "Nguyễn Thị Phóng Viên", "Báo Kiên Giang", "0912 345 678", True)
    assert req.article_url == "https://baokg.vn/bai-viet/123"
    if type_ == "interview":
        # 20/03/2026 09:30 in Vietnam is 02:30 UTC.
        assert req.interview_wanted_at == datetime(2026, 3, 20, 2, 30, tzinfo=UTC)
        assert req.interview_place == "Trụ sở UBND xã"
    else:
        assert req.interview_wanted_at is None and req.interview_place is None


def test_information_due_date_is_five_working_days(client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    req = _only_request()
    assert req.due_at == datetime(2026, 3, 17, 16, 59, 59, tzinfo=UTC)
    assert "17/03/2026 23:59" in body


def test_request_lands_in_the_chairs_queue_as_assigned(client, commune, login):
    client.post("/ask", data=form_data(commune["dhu"]))
    req = _only_request()
    assert req.state == "assigned"
    assert req.assignee_id == commune["chair"].id
    staff = client.application.test_client()
    login(commune["chair"], target=staff)
    assert req.reference in staff.get("/staff/").get_data(as_text=True)


def test_receipt_mail_goes_through_the_outbox_with_the_link(client, commune):
    body = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    req = _only_request()
    token = token_from(body)
    mails = db.session.execute(select(OutboxMail)).scalars().all()
    assert [m.to_address for m in mails] == ["pv.nguyen@baokg.vn"]
    assert req.reference in mails[0].subject
    assert f"/track/{token}" in mails[0].body_text


def test_without_spokesperson_the_page_says_so_and_request_waits(client, district, rulebooks, clock):
    body = client.post("/ask", data=form_data(district["vk"])).get_data(as_text=True)
    req = _only_request()
    assert req.state == "received" and req.assignee_id is None
    assert "Đơn vị chưa công bố người phát ngôn" in body


# --------------------------------------------------------------------------- unknown unit


def test_unknown_unit_goes_to_the_overseer_set_on_the_root_most_unit(client, commune, make_unit):
    office = make_unit("AM-VP", "Văn phòng HĐND và UBND huyện An Minh", parent=commune["district"], kind="department")
    commune["district"].intake_overseer_id = office.id
    db.session.commit()
    body = client.post("/ask", data=form_data(None)).get_data(as_text=True)
    req = _only_request()
    assert req.unit_id == office.id
    assert "Văn phòng HĐND và UBND huyện An Minh" in body


def test_unknown_unit_prefers_the_setting_nearest_the_root(client, commune, make_unit):
    office = make_unit("AM-VP", "Văn phòng huyện", parent=commune["district"], kind="department")
    province_office = make_unit("KG-VP", "Văn phòng UBND tỉnh", parent=commune["province"], kind="department")
    commune["district"].intake_overseer_id = office.id
    commune["province"].intake_overseer_id = province_office.id
    db.session.commit()
    client.post("/ask", data=form_data(None))
    assert _only_request().unit_id == province_office.id


def test_unknown_unit_without_setting_goes_to_the_top_level_unit(client, commune):
    client.post("/ask", data=form_data(None))
    assert _only_request().unit_id == commune["province"].id


# --------------------------------------------------------------------------- validation


CASES = [
    # (overrides, field id with the error, message fragment)
    ({"name": ""}, "name", "Vui lòng nhập họ và tên."),
    ({"name": "A" * 151}, "name", "Họ và tên tối đa 150 ký tự."),
    ({"agency": ""}, "agency", "Vui lòng nhập tên cơ quan báo chí."),
    ({"agency": "B" * 201}, "agency", "Tên cơ quan báo chí tối đa 200 ký tự."),
    ({"email": "khong-phai-email"}, "email", "Địa chỉ thư điện tử không hợp lệ"),
    ({"email": "a" * 250 + "@x.vn"}, "email", "Địa chỉ thư điện tử tối đa 254 ký tự."),
    ({"phone": ""}, "phone", "Vui lòng nhập số điện thoại"),
    ({"phone": "goi toi nhe"}, "phone", "Số điện thoại chỉ gồm chữ số"),
    ({"phone": "1" * 41}, "phone", "Số điện thoại tối đa 40 ký tự."),
    ({"card_number": ""}, "card_number", "Vui lòng nhập số thẻ nhà báo."),
    ({"card_number": "1" * 41}, "card_number", "Số thẻ tối đa 40 ký tự."),
    ({"card_number": "<b>12</b>"}, "card_number", "Số thẻ chỉ gồm chữ, số"),
    ({"card_expiry": ""}, "card_expiry", "Vui lòng nhập ngày hết hạn của thẻ nhà báo."),
    ({"card_expiry": "31/02/2027"}, "card_expiry", "Ngày không hợp lệ"),
    ({"card_expiry": "2040-01-01"}, "card_expiry", "thẻ nhà báo có giá trị tối đa 5 năm"),
    ({"credential": "passport"}, "credential", "Vui lòng chọn một loại giấy tờ trong danh sách."),
    ({"credential": "letter"}, "letter", "cần gửi kèm giấy giới thiệu"),
    ({"unit": "999999"}, "unit", "Vui lòng chọn một đơn vị trong danh sách."),
    ({"unit": "abc"}, "unit", "Vui lòng chọn một đơn vị trong danh sách."),
    ({"type": "emergency"}, "type", "Vui lòng chọn một loại yêu cầu trong danh sách."),
    ({"type": None}, "type", "Vui lòng chọn loại yêu cầu."),
    ({"subject": ""}, "subject", "Vui lòng nhập tiêu đề."),
    ({"subject": "abc"}, "subject", "Tiêu đề cần từ 5 đến 255 ký tự."),
    ({"subject": "x" * 256}, "subject", "Tiêu đề cần từ 5 đến 255 ký tự."),
    ({"questions": ""}, "questions", "Vui lòng nhập nội dung câu hỏi."),
    ({"questions": "q" * 8001}, "questions", "Nội dung câu hỏi cần từ 10 đến 8000 ký tự."),
    ({"article_url": "javascript:alert(1)"}, "article_url", "Đường dẫn phải bắt đầu bằng http:// hoặc https://"),
    ({"article_url": "ftp://baokg.vn/a"}, "article_url", "Đường dẫn phải bắt đầu bằng http:// hoặc https://"),
    ({"article_url": "https://" + "a" * 1000 + ".vn"}, "article_url", "Đường dẫn tối đa 1000 ký tự."),
    ({"type": "interview"}, "interview_date", "Vui lòng chọn ngày mong muốn phỏng vấn."),
    ({"type": "interview", "interview_date": "2026-03-20"}, "interview_time", "Vui lòng chọn giờ mong muốn phỏng vấn."),
    ({"type": "interview", "interview_date": "2026-03-20", "interview_time": "25:99"}, "interview_time", "Giờ không hợp lệ"),
    ({"type": "interview", "interview_date": "2026-03-01", "interview_time": "09:00"}, "interview_date", "phải ở tương lai"),
    ({"type": "interview", "interview_date": "2026-03-20", "interview_time": "09:00", "interview_place": "p" * 256},
     "interview_place", "Địa điểm tối đa 255 ký tự."),
]


@pytest.mark.parametrize(("overrides", "field_id", "message"), CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_each_validation_error_is_inline_linked_and_keeps_typed_values(client, commune, overrides, field_id, message):
    data = form_data(commune["dhu"], **overrides)
    response = client.post("/ask", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    # Inline next to the field, linked with aria-describedby and announced (role=alert)...
    assert f'id="{field_id}-error"' in body
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error', body), field_id
    assert re.search(rf'id="{field_id}-error" class="invalid-feedback d-block" role="alert"', body)
    # ...and in the summary at the top, which links to the field.
    assert 'id="form-errors"' in body and f'href="#{field_id}"' in body
    # What was typed is kept.
    for name in ("name", "agency", "email", "phone", "subject", "card_number", "article_url", "interview_place"):
        value = data.get(name)
        if value:
            assert kept(body, value), name
    if data.get("questions"):
        assert f"{data['questions']}</textarea>" in body
    if data.get("type") not in (None, "emergency"):
        assert is_checked(body, "type", data["type"])
    if data.get("credential") in ("card", "letter"):
        assert is_checked(body, "credential", data["credential"])
    assert _count(PressRequest) == 0 and _count(Journalist) == 0


def test_kept_select_and_checkbox_state(client, commune):
    data = form_data(commune["vk"], subject="", consent="y", type="press_answer")
    body = client.post("/ask", data=data).get_data(as_text=True)
    assert f'<option selected value="{commune["vk"].id}">' in body or f'value="{commune["vk"].id}" selected' in body
    assert is_checked(body, "consent", "y")
    assert is_checked(body, "type", "press_answer")
    assert not is_checked(body, "type", "information")


def test_date_typed_as_dd_mm_yyyy_is_accepted(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], card_expiry="31/12/2028"))
    assert response.status_code == 200
    assert _only_request().journalist.press_card_expiry.isoformat() == "2028-12-31"


# --------------------------------------------------------------------------- credentials


def test_press_card_is_enough_and_no_letter_is_asked(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"]))
    assert response.status_code == 200
    journalist = _only_request().journalist
    assert (journalist.press_card_number, journalist.press_card_expiry.isoformat()) == ("12345/BC", "2028-12-31")
    assert _count(Attachment) == 0


def test_card_holder_letter_is_ignored(client, commune):
    data = form_data(commune["dhu"], letter=(io.BytesIO(PDF), "giay.pdf"))
    assert client.post("/ask", data=data, content_type="multipart/form-data").status_code == 200
    assert _count(Attachment) == 0


def test_card_expiring_today_is_still_valid(client, commune):
    assert client.post("/ask", data=form_data(commune["dhu"], card_expiry="2026-03-10")).status_code == 200


def test_expired_card_is_refused_with_a_clear_message(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], card_expiry="2026-03-09"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Thẻ nhà báo đã hết hạn từ ngày 09/03/2026" in body
    assert "giấy giới thiệu" in body
    assert _count(PressRequest) == 0


@pytest.mark.parametrize(("content", "name", "mime"), [(PDF, "giay-gioi-thieu.pdf", "application/pdf"),
                                                       (PNG, "anh-chup.png", "image/png")])
def test_letter_of_introduction_is_stored_privately_under_a_random_name(client, commune, content, name, mime):
    data = form_data(commune["dhu"], credential="letter", card_number="", card_expiry="",
                     letter=(io.BytesIO(content), name))
    response = client.post("/ask", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:1500]
    req = _only_request()
    att = db.session.execute(select(Attachment)).scalar_one()
    assert (att.request_id, att.purpose, att.is_public, att.mime_type) == (req.id, "letter", False, mime)
    assert att.display_name == name
    assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", att.storage_name)
    assert (upload_root() / att.storage_name).read_bytes() == content
    assert req.journalist.press_card_number is None and req.journalist.press_card_expiry is None


def test_letter_holder_with_stale_card_fields_is_not_checked_on_the_card(client, commune):
    data = form_data(commune["dhu"], credential="letter", card_expiry="2020-01-01",
                     letter=(io.BytesIO(PDF), "giay.pdf"))
    assert client.post("/ask", data=data, content_type="multipart/form-data").status_code == 200
    assert _only_request().journalist.press_card_expiry is None


# --------------------------------------------------------------------------- upload attacks


def _files_in(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()} if root.exists() else set()


def test_html_renamed_pdf_is_refused_by_content(client, commune):
    before = _files_in(upload_root())
    data = form_data(commune["dhu"], credential="letter",
                     letter=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "giay.pdf", "application/pdf"))
    response = client.post("/ask", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Định dạng tệp không được chấp nhận" in body and 'id="letter-error"' in body
    assert "vui lòng chọn lại tệp" in body  # the browser drops the file on re-render
    assert kept(body, "Nguyễn Thị Phóng Viên")
    assert _count(PressRequest) == 0 and _count(Attachment) == 0
    assert _files_in(upload_root()) == before


def test_oversized_letter_is_refused(other_app, commune):
    small = other_app(PUBLIC_UPLOAD_MAX_BYTES=1000)
    big = PDF + b"0" * 2000
    data = form_data(commune["dhu"], credential="letter", letter=(io.BytesIO(big), "giay.pdf"))
    db.session.commit()  # end the test's own transaction: SQLite has one writer
    response = small.test_client().post("/ask", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tệp quá lớn: tối đa 1000 byte." in body
    assert _count(PressRequest) == 0 and _count(Attachment) == 0


def test_path_in_file_name_is_never_used_for_storage(client, commune):
    root = upload_root()
    data = form_data(commune["dhu"], credential="letter", letter=(io.BytesIO(PDF), "../../etc/passwd.pdf"))
    response = client.post("/ask", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    att = db.session.execute(select(Attachment)).scalar_one()
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", att.storage_name)
    assert att.display_name == "passwd.pdf"
    assert (root / att.storage_name).is_file()
    assert not (root.parent.parent / "etc" / "passwd.pdf").exists()
    assert not (root.parent / "passwd.pdf").exists()


# --------------------------------------------------------------------------- abuse and accidents


def test_honeypot_pretends_success_and_stores_nothing(client, commune):
    audit_before = _count(AuditEvent)
    response = client.post("/ask", data=form_data(commune["dhu"], website="http://spam.example"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cảm ơn anh/chị" in body
    assert "/track/" not in body
    assert _count(PressRequest) == 0 and _count(Journalist) == 0 and _count(OutboxMail) == 0
    assert _count(AuditEvent) == audit_before


def test_rate_limit_gives_the_friendly_vietnamese_429(other_app, commune):
    # Posts sent back for a typo count only against the looser limit on every post (test_nothing_lost.py
    # shows they leave the limit on accepted questions alone); a flood of them is still stopped.
    limited = other_app(RATELIMIT_ENABLED=True, PUBLIC_FORM_ATTEMPT_RATE_LIMIT="2 per minute")
    c = limited.test_client()
    data = form_data(commune["dhu"])
    db.session.commit()
    assert c.post("/ask", data={}).status_code == 400
    assert c.post("/ask", data={}).status_code == 400
    response = c.post("/ask", data=data)
    assert response.status_code == 429
    assert "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn" in response.get_data(as_text=True)
    assert _count(PressRequest) == 0
    assert c.get("/ask").status_code == 200  # reading the form is never limited


def test_double_submit_gives_the_same_request(client, commune):
    first = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    # The same question again, typed a little differently (case, accents, spacing).
    again = form_data(commune["dhu"], email="PV.Nguyen@BaoKG.vn ", subject="tien do nao vet kenh Xeo Nhau",
                      questions="Xin cho biết  tiến độ, kinh phí và thời gian hoàn thành công trình.")
    second = client.post("/ask", data=again)
    body = second.get_data(as_text=True)
    assert second.status_code == 200
    req = _only_request()
    assert req.reference in first and req.reference in body
    assert "Câu hỏi này đã được gửi trước đó" in body
    # The token is shown once only: the repeat says it was e-mailed instead.
    assert not re.search(r"/track/[A-Za-z0-9_-]{20,}", body)
    # The receipt is only queued (no sender ran): the page says it will be sent, not that it was.
    assert "sẽ được gửi tới thư điện tử của anh/chị" in body
    assert _count(OutboxMail) == 1


def test_double_submit_across_a_bucket_boundary_is_still_one(client, commune, clock):
    clock(datetime(2026, 3, 10, 2, 9, 50, tzinfo=UTC))
    client.post("/ask", data=form_data(commune["dhu"]))
    clock(datetime(2026, 3, 10, 2, 10, 10, tzinfo=UTC))
    client.post("/ask", data=form_data(commune["dhu"]))
    assert _count(PressRequest) == 1


def test_same_question_later_or_to_another_unit_is_a_new_request(client, commune, clock):
    client.post("/ask", data=form_data(commune["dhu"]))
    client.post("/ask", data=form_data(commune["vk"]))
    clock(NOW + timedelta(minutes=25))
    client.post("/ask", data=form_data(commune["dhu"]))
    assert _count(PressRequest) == 3


def test_concurrent_identical_posts_resolve_to_one_request(client, commune, monkeypatch):
    """The second post passed the look-up before the first committed: the unique key decides."""
    from spokes.portal import services

    client.post("/ask", data=form_data(commune["dhu"]))
    first = _only_request()
    real = services._find_by_keys
    calls = {"n": 0}

    def racing(keys):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(keys)

    monkeypatch.setattr(services, "_find_by_keys", racing)
    response = client.post("/ask", data=form_data(commune["dhu"]))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert calls["n"] == 2
    assert "Câu hỏi này đã được gửi trước đó" in body and first.reference in body
    assert _only_request().id == first.id
    assert _count(Journalist) == 1 and _count(OutboxMail) == 1
    assert verify_chain()[1] is None
    # The savepoint also undid the reference number the loser took.
    client.post("/ask", data=form_data(commune["dhu"], subject="Một câu hỏi khác hẳn"))
    refs = sorted(db.session.execute(select(PressRequest.reference)).scalars())
    assert refs == ["AM-DHU-2026-00001", "AM-DHU-2026-00002"]


def test_form_requires_csrf_when_enabled(other_app, commune):
    strict = other_app(WTF_CSRF_ENABLED=True)
    c = strict.test_client()
    data = form_data(commune["dhu"])
    db.session.commit()
    assert 'name="csrf_token"' in c.get("/ask").get_data(as_text=True)
    assert c.post("/ask", data=data).status_code == 400
    assert _count(PressRequest) == 0


# --------------------------------------------------------------------------- issue 17: bounds at the edge


@pytest.mark.parametrize("day, time", [("0001-01-01", "00:00"), ("9999-12-31", "23:59"), ("31/12/9999", "23:59")])
def test_interview_dates_outside_2000_2100_are_refused_with_a_message(client, commune, day, time):
    data = form_data(commune["dhu"], type="interview", interview_date=day, interview_time=time,
                     interview_place="Trụ sở UBND xã")
    response = client.post("/ask", data=data)
    assert response.status_code == 400
    assert "Ngày phải nằm trong khoảng từ năm 2000 đến năm 2100." in response.get_data(as_text=True)
