"""The public calculator at /deadline and the rulebook and calendar admin screens."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.deadlines.calendar import VN_TZ
from spokes.deadlines.models import CalendarDay, RefusalGround, Rule, Rulebook
from spokes.extensions import db
from spokes.press_requests.models import PressRequest

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=VN_TZ)


def page(response: Any) -> str:
    return response.get_data(as_text=True)


def book(code: str) -> Rulebook:
    return db.session.execute(select(Rulebook).where(Rulebook.code == code)).scalar_one()


def calculate(client: Any, status: int = 200, **query: str) -> str:
    """Ask the public calculator; check the status it answers with and return its page."""
    response = client.get("/deadline", query_string=query)
    assert response.status_code == status
    return page(response)


def rule_of(code: str, request_type: str) -> Rule:
    return next(r for r in book(code).rules if r.request_type == request_type and r.milestone == "main")


@pytest.fixture()
def now(frozen_clock: Any) -> datetime:
    frozen_clock(NOW)
    return NOW


@pytest.fixture()
def admin(district: dict[str, Any], make_user: Any, login: Any) -> Any:
    user = make_user("admin", district["province"])
    login(user)
    return user


# --------------------------------------------------------------------------- the public calculator


def test_calculator_form_lists_all_types_and_current_refusal_grounds(client, rulebooks, now):
    html = calculate(client)
    for label in ("Cung cấp thông tin, tài liệu", "Đề nghị phỏng vấn", "Yêu cầu trả lời trên báo chí",
                  "Ý kiến, kiến nghị, phản ánh, phê bình do báo chí chuyển đến",
                  "Khiếu nại do báo chí chuyển đến", "Tố cáo do báo chí chuyển đến", "Phát ngôn khi có sự kiện đột xuất, bất thường"):
        assert label in html
    assert 'value="10/03/2026"' in html  # today in Vietnam, prefilled
    # Ground d is unverified (U): its text is listed, never a citation or confidence wording.
    assert "Văn bản chính sách, đề án đang soạn thảo mà theo quy định của pháp luật chưa được phép công bố." in html
    assert "chưa đối chiếu được toàn văn" not in html and "quản trị viên" not in html
    assert "Hạn chót" not in html


def test_calculator_explains_a_calendar_day_period_moved_by_a_holiday(client, rulebooks):
    html = calculate(client, type="press_answer", received_date="01/04/2026", received_time="10:00")
    # 30 days from Wed 01/04/2026 → Fri 01/05 (Labour Day), Sat, Sun → end of Mon 04/05.
    assert "04/05/2026 23:59:59" in html
    assert "NĐ 09/2017 — Luật Báo chí 2016" in html
    assert "Trả lời trên báo chí theo yêu cầu của người đứng đầu cơ quan báo chí" in html
    assert "Luật Báo chí 103/2016/QH13, Điều 39" in html
    assert "Trong thời hạn 30 ngày kể từ ngày nhận được yêu cầu" in html
    assert "Thời hạn theo quy định" in html
    assert "Độ tin cậy" not in html and "diễn giải từ nguồn thứ cấp" not in html  # staff wording stays on staff pages
    for skipped in ("01/05/2026 — Ngày Quốc tế Lao động", "02/05/2026 — Thứ Bảy", "03/05/2026 — Chủ nhật"):
        assert skipped in html
    assert "BLDS 2015, Điều 148" in html
    assert "Không được gia hạn." in html
    assert "Văn bản chính sách, đề án đang soạn thảo" in html


def test_calculator_accepts_an_html_date_and_uses_the_2025_rulebook(client, rulebooks):
    html = calculate(client, type="forwarded_feedback", received_date="2026-07-01", received_time="08:15")
    assert "22/07/2026 23:59:59" in html
    assert "Luật Báo chí 2025 — NĐ 237/2026" in html
    assert "NĐ 237/2026/NĐ-CP, Điều 18 khoản 3" in html
    assert "cơ quan báo chí có quyền kiến nghị" in html  # the overdue note (Điều 18 khoản 4)
    # The 2025 grounds replace ground d of the old rulebook.
    assert "Văn bản chính sách, đề án" not in html
    assert "bí mật cá nhân, bí mật gia đình" in html


def test_calculator_conclusion_milestone_counts_from_the_conclusion_date(client, rulebooks):
    html = calculate(client, type="forwarded_complaint", received_date="10/07/2026", received_time="09:30",
                     milestone="conclusion")
    # 5 working days from Fri 10/07/2026: Mon 13 … Fri 17/07.
    assert "17/07/2026 23:59:59" in html
    assert "Gửi kết luận giải quyết khiếu nại, tố cáo cho cơ quan báo chí" in html


def test_calculator_emergency_counts_hours_across_midnight(client, rulebooks):
    html = calculate(client, type="emergency", received_date="01/05/2026", received_time="21:30")
    assert "02/05/2026 21:30:00" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"type": "information", "received_date": "", "received_time": "09:00"}, "Vui lòng nhập ngày nhận."),
        ({"type": "information", "received_date": "31/02/2026", "received_time": "09:00"}, "Ngày không hợp lệ"),
        ({"type": "information", "received_date": "01/03/2026", "received_time": "25:00"}, "Giờ không hợp lệ"),
        ({"type": "inquiry", "received_date": "01/03/2026", "received_time": "09:00"}, "Lựa chọn không hợp lệ."),
        ({"type": "information", "received_date": "01/03/2026", "received_time": "09:00",
          "milestone": "conclusion"}, "Mốc gửi kết luận chỉ áp dụng cho khiếu nại, tố cáo"),
        ({"type": "information", "received_date": "01/03/2206", "received_time": "09:00"}, "Năm phải từ"),
    ],
)
def test_calculator_bad_input_shows_inline_errors_with_400(client, rulebooks, query, message):
    html = calculate(client, 400, **query)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "Hạn chót" not in html


def test_calculator_date_outside_any_rulebook_gives_a_clear_400(client, rulebooks):
    html = calculate(client, 400, type="information", received_date="01/01/2016", received_time="09:00")
    assert "Không có bộ quy tắc nào áp dụng cho ngày 01/01/2016." in html
    assert "01/01/2017" in html


def test_calculator_conclusion_under_the_old_rulebook_gives_a_clear_400(client, rulebooks):
    html = calculate(client, 400, type="forwarded_complaint", received_date="01/06/2026", received_time="09:00",
                     milestone="conclusion")
    assert "không có mốc thời hạn này" in html


def test_calculator_works_with_csrf_on(make_app, rulebooks):
    strict = make_app(WTF_CSRF_ENABLED=True)
    html = calculate(strict.test_client(), type="information", received_date="29/04/2026", received_time="09:30")
    assert "08/05/2026 23:59:59" in html
    with strict.app_context():  # this app has its own engine: close its connections now
        db.session.remove()
        db.engine.dispose()


# --------------------------------------------------------------------------- access control


ADMIN_PAGES = ["/admin/rulebooks", "/admin/calendar?year=2026"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_login(client, rulebooks, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["head", "overseer", "clerk"])
def test_admin_pages_refuse_other_staff(client, rulebooks, district, make_user, login, role):
    login(make_user(role, district["dhu"]))
    rule = rule_of("qd1430-2017", "information")
    for url in [*ADMIN_PAGES, f"/admin/rulebooks/{rule.rulebook_id}",
                f"/admin/rulebooks/rules/{rule.id}/edit", f"/admin/rulebooks/{rule.rulebook_id}/new-version"]:
        assert client.get(url).status_code == 403, url
    response = client.post(f"/admin/rulebooks/rules/{rule.id}/edit", data={"amount": "1"})
    assert response.status_code == 403
    assert rule_of("qd1430-2017", "information").amount == 5
    assert client.post("/admin/calendar", data={"day": "12/03/2026", "kind": "day_off",
                                                "reason": "x"}).status_code == 403
    assert db.session.execute(select(CalendarDay).where(CalendarDay.source == "admin")).first() is None


# --------------------------------------------------------------------------- rulebooks


def test_rulebook_list_and_page(client, rulebooks, admin):
    html = page(client.get("/admin/rulebooks"))
    assert "NĐ 09/2017 — Luật Báo chí 2016" in html
    assert "Luật Báo chí 2025 — NĐ 237/2026" in html
    assert "01/01/2017 – 30/06/2026" in html
    assert "01/07/2026 – nay" in html
    new_book = book("lbc2025-nd237")
    response = client.get(f"/admin/rulebooks/{new_book.id}")
    assert response.status_code == 200
    html = page(response)
    assert "NĐ 237/2026/NĐ-CP, Điều 18 khoản 3" in html
    assert "Độ tin cậy S" in html and "Độ tin cậy U" in html
    assert "Gửi kết luận giải quyết khiếu nại, tố cáo cho cơ quan báo chí (tính từ ngày có kết luận)" in html
    assert "Luật Báo chí 126/2025/QH15, Điều 31 khoản 2" in html
    assert "3, 1 ngày làm việc" in html
    assert "Cho phép, tối đa 5 ngày làm việc" in html
    assert client.get("/admin/rulebooks/9999").status_code == 404


def _rule_form(rule: Rule, **changes: Any) -> dict[str, Any]:
    data = {
        "amount": str(rule.amount), "unit": rule.unit, "label": rule.label, "citation_text": rule.citation_text,
        "citation_source": rule.citation_source, "confidence": rule.confidence,
        "reminder_offsets": ",".join(str(n) for n in rule.reminder_offsets),
        "extension_max_amount": str(rule.extension_max_amount),
        "escalate_after_working_days": str(rule.escalate_after_working_days), "overdue_note": rule.overdue_note,
    }
    if rule.extension_allowed:
        data["extension_allowed"] = "y"
    if rule.extension_reason_required:
        data["extension_reason_required"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_rule_is_audited_and_leaves_stored_requests_alone(client, now, district, admin, make_request):
    req = make_request(district["dhu"], type="information",
                       received_at=datetime(2026, 3, 10, 9, 30, tzinfo=VN_TZ))
    stored = (req.due_at, req.rule_id, dict(req.deadline_explanation))
    rule = rule_of("qd1430-2017", "information")

    form_page = page(client.get(f"/admin/rulebooks/rules/{rule.id}/edit"))
    assert "<title>Sửa quy tắc — Spokes</title>" in form_page
    assert 'href="/admin/rulebooks">Bộ quy tắc thời hạn</a>' in form_page  # the way back, above the form
    assert "Thời hạn đã lưu không thay đổi." in form_page
    assert "đang gắn với 1 yêu cầu (1 yêu cầu đang mở)" in form_page
    assert 'value="3,1"' in form_page

    response = client.post(f"/admin/rulebooks/rules/{rule.id}/edit", data=_rule_form(
        rule, amount="7", confidence="S", reminder_offsets="1, 3", citation_source="Công văn 12/UBND"))
    assert response.status_code == 302
    db.session.expire_all()
    rule = db.session.get(Rule, rule.id)
    assert (rule.amount, rule.confidence, rule.reminder_offsets, rule.citation_source) == (
        7, "S", [3, 1], "Công văn 12/UBND")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "rulebook.rule_edit")).scalar_one()
    assert event.actor_id == admin.id
    assert event.before == {"amount": 5, "citation_source": "Chỉ tiêu nội bộ của đơn vị", "confidence": "U"}
    assert event.after["amount"] == 7
    req = db.session.get(PressRequest, req.id)
    assert (req.due_at, req.rule_id, req.deadline_explanation) == stored
    followed = page(client.get(response.headers["Location"]))
    assert "Các hồ sơ đã tiếp nhận giữ nguyên thời hạn." in followed


def test_edit_rule_bad_input_is_400_with_inline_errors(client, rulebooks, admin):
    rule = rule_of("qd1430-2017", "information")
    response = client.post(f"/admin/rulebooks/rules/{rule.id}/edit", data=_rule_form(
        rule, amount="0", reminder_offsets="ba, một", extension_max_amount="0", label=""))
    assert response.status_code == 400
    html = page(response)
    assert "Thời hạn phải từ 1 đến 3650." in html
    assert "Hãy nhập các số nguyên cách nhau bởi dấu phẩy" in html
    assert "Khi cho phép gia hạn, mức tối đa phải từ 1 trở lên." in html
    assert "Vui lòng nhập tên quy tắc." in html
    db.session.expire_all()
    assert db.session.get(Rule, rule.id).amount == 5
    assert client.get("/admin/rulebooks/rules/9999/edit").status_code == 404


def test_edit_refusal_ground(client, rulebooks, admin):
    ground = next(g for g in book("qd1430-2017").refusal_grounds if g.code == "d")
    response = client.post(f"/admin/rulebooks/grounds/{ground.id}/edit", data={
        "text": ground.text, "source": "QĐ 1430/2017/QĐ-UBND, Điều 9", "confidence": "S"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(RefusalGround, ground.id).source == "QĐ 1430/2017/QĐ-UBND, Điều 9"
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "rulebook.ground_edit")).scalar_one().after["code"] == "d"
    bad = client.post(f"/admin/rulebooks/grounds/{ground.id}/edit", data={"text": "", "source": "x",
                                                                          "confidence": "Z"})
    assert bad.status_code == 400
    assert "Vui lòng nhập nội dung." in page(bad)


def test_new_version_screen(client, rulebooks, admin):
    source = book("lbc2025-nd237")
    form_page = page(client.get(f"/admin/rulebooks/{source.id}/new-version"))
    assert "Luật Báo chí 2025 — NĐ 237/2026 (phiên bản mới)" in form_page
    assert "Thời hạn đã lưu không thay đổi." in form_page

    response = client.post(f"/admin/rulebooks/{source.id}/new-version", data={
        "code": "lbc2025-2027", "name": "Luật Báo chí 2025 — bản 2027", "valid_from": "01/01/2027", "notes": ""})
    assert response.status_code == 302
    db.session.expire_all()
    new = book("lbc2025-2027")
    assert new.valid_from == date(2027, 1, 1) and new.valid_to is None
    assert book("lbc2025-nd237").valid_to == date(2026, 12, 31)
    assert len(new.rules) == 9 and len(new.refusal_grounds) == 3
    assert response.headers["Location"].endswith(f"/admin/rulebooks/{new.id}")

    duplicate = client.post(f"/admin/rulebooks/{source.id}/new-version", data={
        "code": "lbc2025-2027", "name": "Lần hai", "valid_from": "01/01/2028"})
    assert duplicate.status_code == 400
    assert "đã được dùng" in page(duplicate)
    bad = client.post(f"/admin/rulebooks/{source.id}/new-version", data={
        "code": "Mã Sai", "name": "", "valid_from": "32/13/2027"})
    assert bad.status_code == 400
    assert "Ngày không hợp lệ" in page(bad)


# --------------------------------------------------------------------------- the calendar


def test_calendar_lists_holidays_makeup_days_and_overrides(client, now, rulebooks, admin):
    db.session.add(CalendarDay(day=date(2026, 3, 12), kind="day_off", reason="Nghỉ bầu cử"))
    db.session.commit()
    html = page(client.get("/admin/calendar"))  # default: this year in Vietnam (2026)
    assert "Lịch ngày nghỉ năm 2026" in html
    assert "02/09/2026 — Quốc khánh" in html
    assert "22/08/2026 — Ngày làm bù cho ngày nghỉ 31/08/2026" in html
    assert "12/03/2026" in html and "Nghỉ bầu cử" in html
    other = page(client.get("/admin/calendar?year=2031"))
    assert "Lịch ngày nghỉ năm 2031" in other and "Nghỉ bầu cử" not in other
    assert "Tết" in other  # the lunar new year, with no data entry
    for year in ("2016", "2041", "abc"):
        assert client.get(f"/admin/calendar?year={year}").status_code == 400


def test_adding_and_removing_a_day_off_recomputes_and_tells_the_admin(client, now, district, admin, make_request):
    req = make_request(district["dhu"], type="information",
                       received_at=datetime(2026, 3, 10, 9, 30, tzinfo=VN_TZ))
    response = client.post("/admin/calendar?year=2026", data={
        "day": "12/03/2026", "kind": "day_off", "reason": "Nghỉ bầu cử (TB số 5)"})
    assert response.status_code == 302
    followed = page(client.get(response.headers["Location"]))
    assert "Đã cập nhật thời hạn của 1 hồ sơ đang mở." in followed
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).due_at == datetime.combine(
        date(2026, 3, 18), time(23, 59, 59), tzinfo=VN_TZ)
    row = db.session.execute(select(CalendarDay).where(CalendarDay.source == "admin")).scalar_one()
    assert row.created_by_id == admin.id

    response = client.post(f"/admin/calendar/{row.id}/delete")
    assert response.status_code == 302
    assert "Đã cập nhật thời hạn của 1 hồ sơ đang mở." in page(client.get(response.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).due_at == datetime.combine(
        date(2026, 3, 17), time(23, 59, 59), tzinfo=VN_TZ)
    assert db.session.execute(select(CalendarDay).where(CalendarDay.source == "admin")).first() is None
    assert client.post(f"/admin/calendar/{row.id}/delete").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "12/03/2026", "kind": "day_off", "reason": ""}, "Vui lòng nêu lý do."),
        ({"day": "", "kind": "day_off", "reason": "x"}, "Vui lòng nhập ngày."),
        ({"day": "12/03/2041", "kind": "day_off", "reason": "x"}, "Năm phải từ 2017 đến 2040."),
        ({"day": "15/03/2026", "kind": "day_off", "reason": "Chủ nhật"}, "đã là ngày nghỉ"),
        ({"day": "11/03/2026", "kind": "working_day", "reason": "x"}, "đã là ngày làm việc"),
        ({"day": "12/03/2026", "kind": "holiday", "reason": "x"}, "Lựa chọn không hợp lệ."),
    ],
)
def test_calendar_bad_input_is_400_with_inline_errors(client, now, rulebooks, admin, data, message):
    response = client.post("/admin/calendar", data=data)
    assert response.status_code == 400
    assert message in page(response)
    assert db.session.execute(select(CalendarDay).where(CalendarDay.source == "admin")).first() is None


def test_only_an_admin_at_the_top_of_the_tree_manages_rulebooks_and_the_calendar(
        app, district, make_user, rulebooks, now, login):
    """A district admin runs the district's units and people, not the province's deadlines."""
    district_admin = make_user("admin", district["district"])
    client = app.test_client()
    login(district_admin, target=client)
    rule = db.session.execute(select(Rule).order_by(Rule.id)).scalars().first()
    for url in ("/admin/rulebooks", f"/admin/rulebooks/rules/{rule.id}/edit", "/admin/calendar"):
        assert client.get(url).status_code == 403, url
    before = rule.amount
    assert client.post(f"/admin/rulebooks/rules/{rule.id}/edit", data={"amount": before + 5}).status_code == 403
    assert client.post("/admin/calendar", data={"day": "2026-03-12", "kind": "day_off",
                                                "reason": "Nghỉ bù"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Rule, rule.id).amount == before
    home = client.get("/admin/").get_data(as_text=True)
    assert "/admin/rulebooks" not in home and "/admin/calendar" not in home
    # The province's admin keeps both.
    province_admin = make_user("admin", district["province"])
    top = app.test_client()
    login(province_admin, target=top)
    assert top.get("/admin/calendar").status_code == 200
    assert "/admin/rulebooks" in top.get("/admin/").get_data(as_text=True)


def test_calendar_marks_a_doubtful_package_day_and_dates_its_documents_as_people_write_them(client, now, rulebooks,
                                                                                            admin):
    html = page(client.get("/admin/calendar?year=2026"))
    assert "24/11/2026 — " in html and "(chưa kiểm chứng)" in html.split("24/11/2026 — ", 1)[1].split("</li>", 1)[0]
    documents = html.split('class="small official-documents"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r"\(\d{2}/\d{2}/\d{4}\)", documents) and not re.search(r"\(\d{4}-\d{2}-\d{2}\)", documents)
