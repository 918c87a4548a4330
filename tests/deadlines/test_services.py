"""Deadline services on the database: calendar changes, rule edits, new versions, extensions."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import event, select

from spokes.audit.models import AuditEvent
from spokes.core.errors import DomainError
from spokes.deadlines import services
from spokes.deadlines.calendar import VN_TZ
from spokes.deadlines.engine import compute_due
from spokes.deadlines.explain import render_note, render_step, render_steps
from spokes.deadlines.models import CalendarDay, Rule, Rulebook
from spokes.extensions import db
from spokes.press_requests import services as requests_services
from spokes.press_requests.models import Extension, PressRequest

# Tuesday 10/03/2026, 10:00 in Vietnam: no public holiday in March 2026.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=VN_TZ)
RECEIVED = datetime(2026, 3, 10, 9, 30, tzinfo=VN_TZ)


def vn_end(y: int, m: int, d: int) -> datetime:
    """Return 23:59:59 Vietnamese time on a date: where every day period ends."""
    return datetime.combine(date(y, m, d), time(23, 59, 59), tzinfo=VN_TZ)


def events(action: str, obj_id: int | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    if obj_id is not None:
        stmt = stmt.where(AuditEvent.object_id == obj_id)
    return list(db.session.execute(stmt).scalars())


def rule_of(book_code: str, request_type: str, milestone: str = "main") -> Rule:
    return db.session.execute(
        select(Rule).join(Rulebook).where(
            Rulebook.code == book_code, Rule.request_type == request_type, Rule.milestone == milestone)
    ).scalar_one()


def reload(req: PressRequest) -> PressRequest:
    db.session.expire_all()
    return db.session.get(PressRequest, req.id)


@pytest.fixture()
def admin(district: dict[str, Any], make_user: Any) -> Any:
    return make_user("admin", district["province"])


@pytest.fixture()
def now(frozen_clock: Any) -> datetime:
    frozen_clock(NOW)
    return NOW


# --------------------------------------------------------------------------- calendar changes


def test_extra_day_off_moves_working_day_deadline_and_back(now, district, admin, make_request):
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    # 5 working days from Tue 10/03: Wed 11, Thu 12, Fri 13, Mon 16, Tue 17.
    assert req.due_at == vn_end(2026, 3, 17)

    row, moved = services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ bầu cử (thông báo số 12/TB)")
    db.session.commit()
    # Thu 12 is now off: Wed 11, Fri 13, Mon 16, Tue 17, Wed 18.
    assert moved == 1
    req = reload(req)
    assert req.due_at == vn_end(2026, 3, 18)
    assert {"date": "2026-03-12", "name": "Nghỉ bầu cử (thông báo số 12/TB)"} in req.deadline_explanation["skipped_days"]
    assert req.deadline_explanation["due_at"] == "2026-03-18T23:59:59+07:00"
    assert req.deadline_explanation["rulebook"]["code"] == "qd1430-2017"
    recount = req.deadline_explanation["steps"][-1]
    assert recount["code"] == "recomputed" and recount["reason"] == "Nghỉ bầu cử (thông báo số 12/TB)"
    assert (recount["change"], recount["kind"], recount["day"]) == ("added", "day_off", "2026-03-12")
    assert "lịch làm việc thay đổi" in render_step(recount)
    [moved_event] = events("request.deadline_recomputed", req.id)
    assert moved_event.public is True
    assert moved_event.actor_id == admin.id
    assert moved_event.before["due_at"] == "2026-03-17T16:59:59+00:00"
    assert moved_event.after["due_at"] == "2026-03-18T16:59:59+00:00"
    assert len(events("calendar.day_added")) == 1

    moved_back = services.remove_calendar_day(admin, db.session.get(CalendarDay, row.id))
    db.session.commit()
    assert moved_back == 1
    req = reload(req)
    assert req.due_at == vn_end(2026, 3, 17)
    assert all(d["date"] != "2026-03-12" for d in req.deadline_explanation["skipped_days"])
    assert len(events("request.deadline_recomputed", req.id)) == 2
    assert len(events("calendar.day_removed")) == 1


def test_makeup_saturday_brings_working_day_deadline_forward(now, district, admin, make_request):
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    _row, moved = services.add_calendar_day(admin, date(2026, 3, 14), "working_day", "Làm bù cho ngày 02/01")
    db.session.commit()
    # Sat 14 now counts: Wed 11, Thu 12, Fri 13, Sat 14, Mon 16.
    assert moved == 1
    assert reload(req).due_at == vn_end(2026, 3, 16)


def test_closed_request_and_unaffected_calendar_day_request_are_untouched(now, district, admin, make_request):
    closed = make_request(district["dhu"], type="information", received_at=RECEIVED)
    requests_services.withdraw(None, closed, "Không cần nữa")
    db.session.commit()
    # 30 calendar days from 10/03 end on Thu 09/04; a day off on 12/03 does not touch the last day.
    press = make_request(district["dhu"], type="press_answer", received_at=RECEIVED)
    assert press.due_at == vn_end(2026, 4, 9)
    press_explanation = dict(press.deadline_explanation)
    before_events = len(events("request.deadline_recomputed"))

    _row, moved = services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    db.session.commit()

    assert moved == 0
    assert reload(closed).due_at == vn_end(2026, 3, 17)
    press = reload(press)
    assert press.due_at == vn_end(2026, 4, 9)
    assert press.deadline_explanation == press_explanation
    assert len(events("request.deadline_recomputed")) == before_events


def test_day_off_on_last_day_of_calendar_day_period_moves_it(now, district, admin, make_request):
    press = make_request(district["dhu"], type="press_answer", received_at=RECEIVED)
    _row, moved = services.add_calendar_day(admin, date(2026, 4, 9), "day_off", "Nghỉ theo thông báo của tỉnh")
    db.session.commit()
    # The last day Thu 09/04 is now off: the period ends at the end of Fri 10/04 (BLDS Điều 148).
    assert moved == 1
    press = reload(press)
    assert press.due_at == vn_end(2026, 4, 10)
    assert press.deadline_explanation["moved_from"] == "2026-04-09"


def test_recompute_keeps_extension_and_its_note(now, district, admin, make_user, make_request):
    head = make_user("head", district["dhu"], designate="head")
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    requests_services.extend(head, req, 2, "Cần tổng hợp số liệu của ba ấp")
    db.session.commit()
    # 5 + 2 = 7 working days: 11, 12, 13, 16, 17, 18, 19/03.
    assert reload(req).due_at == vn_end(2026, 3, 19)
    note = reload(req).deadline_explanation["note"]
    assert note == {"code": "extended", "n": 2, "unit": "working_days", "reason": "Cần tổng hợp số liệu của ba ấp"}
    assert render_note(note) == "Đã gia hạn thêm 2 ngày làm việc; lý do: Cần tổng hợp số liệu của ba ấp"

    services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    db.session.commit()
    req = reload(req)
    assert req.due_at == vn_end(2026, 3, 20)
    assert req.deadline_explanation["amount"] == 7
    assert req.deadline_explanation["note"] == note


def test_rule_edit_is_not_smuggled_in_by_a_later_calendar_change(now, district, admin, make_request):
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    rule = rule_of("qd1430-2017", "information")
    services.update_rule(admin, rule, _rule_data(rule, amount=10))
    db.session.commit()

    services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    db.session.commit()
    # Still the 5 working days the request was given, now skipping Thu 12: ends Wed 18, not after 10 days.
    req = reload(req)
    assert req.due_at == vn_end(2026, 3, 18)
    assert req.deadline_explanation["amount"] == 5
    # The rule line of the explanation still cites the rule as it was applied.
    [rule_step] = [step for step in req.deadline_explanation["steps"] if step["code"] == "rule"]
    assert (rule_step["amount"], rule_step["unit"]) == (5, "working_days")
    assert "5 ngày làm việc" in render_step(rule_step)


def test_conclusion_milestone_is_recounted_too(frozen_clock, district, admin, make_request):
    frozen_clock(datetime(2026, 7, 20, 10, 0, tzinfo=VN_TZ))
    received = datetime(2026, 7, 20, 9, 30, tzinfo=VN_TZ)  # a Monday, under the 2025 rulebook
    req = make_request(district["dhu"], type="forwarded_complaint", received_at=received)
    # Acceptance notice: 10 calendar days → Thu 30/07/2026.
    assert req.due_at == vn_end(2026, 7, 30)
    # The conclusion is recorded the same morning: 5 working days → Tue 21 … Mon 27/07.
    req.conclusion_at = received
    req.conclusion_due_at = vn_end(2026, 7, 27)
    db.session.commit()

    _row, moved = services.add_calendar_day(admin, date(2026, 7, 22), "day_off", "Nghỉ đột xuất")
    db.session.commit()
    assert moved == 1
    req = reload(req)
    assert req.conclusion_due_at == vn_end(2026, 7, 28)
    assert req.due_at == vn_end(2026, 7, 30)  # a calendar-day period whose last day is still a working day
    [moved_event] = events("request.deadline_recomputed", req.id)
    assert set(moved_event.after) == {"conclusion_due_at", "reason"}


def test_recompute_all_without_a_date_and_in_small_batches(now, district, admin, make_request):
    reqs = [make_request(district["dhu"], type="information", received_at=RECEIVED) for _ in range(5)]
    # An override entered without the service (e.g. a data import) is picked up by a full recount.
    db.session.add(CalendarDay(day=date(2026, 3, 13), kind="day_off", reason="Nhập từ dữ liệu cũ"))
    db.session.flush()
    moved = services.recompute_open_deadlines(admin, "Kiểm tra lại toàn bộ", batch_size=2)
    db.session.commit()
    assert moved == 5
    assert {reload(r).due_at for r in reqs} == {vn_end(2026, 3, 18)}
    assert services.recompute_open_deadlines(admin, "Lần hai, không còn gì thay đổi") == 0


def test_recompute_reads_requests_in_batches_not_one_by_one(now, district, admin, make_request):
    for _ in range(12):
        make_request(district["dhu"], type="information", received_at=RECEIVED)
    statements: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        _row, moved = services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    db.session.commit()
    assert moved == 12
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM press_requests" in s]
    rule_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM rules" in s]
    # One query for the ids in the window and one per batch of 500; rules come in one IN query.
    assert len(reads) == 2, reads
    assert len(rule_reads) <= 2, rule_reads


def test_calendar_day_validation(now, admin):
    with pytest.raises(DomainError) as err:
        services.add_calendar_day(admin, date(2026, 3, 15), "day_off", "Chủ nhật")
    assert err.value.status == 400 and "đã là ngày nghỉ" in err.value.message
    with pytest.raises(DomainError) as err:
        services.add_calendar_day(admin, date(2026, 3, 11), "working_day", "Làm bù")
    assert err.value.status == 400
    with pytest.raises(DomainError) as err:
        services.add_calendar_day(admin, date(2041, 3, 12), "day_off", "Quá xa")
    assert err.value.status == 400
    with pytest.raises(DomainError):
        services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "   ")
    services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    with pytest.raises(DomainError) as err:
        services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Lần nữa")
    assert err.value.status == 409


def test_calendar_year_lists_package_days_and_overrides(now, admin):
    services.add_calendar_day(admin, date(2026, 3, 12), "day_off", "Nghỉ đột xuất")
    services.add_calendar_day(admin, date(2027, 3, 12), "day_off", "Năm sau")
    cal = services.calendar_year(2026)
    assert (date(2026, 9, 2), "Quốc khánh") in cal.holidays
    # The package swaps Mon 31/08/2026 off for Saturday 22/08 worked.
    assert [d for d, _name in cal.makeup_days] == [date(2026, 8, 22)]
    assert [o.day for o in cal.overrides] == [date(2026, 3, 12)]
    with pytest.raises(DomainError):
        services.calendar_year(2016)


# --------------------------------------------------------------------------- rule edits and versions


def _rule_data(rule: Rule, **changes: Any) -> services.RuleData:
    data = services.RuleData(
        amount=rule.amount, unit=rule.unit, label=rule.label, citation_text=rule.citation_text,
        citation_source=rule.citation_source, confidence=rule.confidence,
        reminder_offsets=list(rule.reminder_offsets), extension_allowed=rule.extension_allowed,
        extension_max_amount=rule.extension_max_amount, extension_reason_required=rule.extension_reason_required,
        escalate_after_working_days=rule.escalate_after_working_days, overdue_note=rule.overdue_note,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_rule_edit_is_audited_and_never_moves_stored_deadlines(now, district, admin, make_request):
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    stored = (req.due_at, req.rule_id, req.rulebook_id, dict(req.deadline_explanation))
    rule = rule_of("qd1430-2017", "information")

    changed = services.update_rule(admin, rule, _rule_data(
        rule, amount=10, citation_text="Trích dẫn mới", confidence="S", reminder_offsets=[1, 3, 3]))
    db.session.commit()

    assert changed == {"amount": 10, "citation_text": "Trích dẫn mới", "confidence": "S"}
    req = reload(req)
    assert (req.due_at, req.rule_id, req.rulebook_id, req.deadline_explanation) == stored
    [edit] = events("rulebook.rule_edit", rule.id)
    assert edit.before == {"amount": 5, "citation_text": rule_citation_2017(), "confidence": "U"}
    assert edit.after["amount"] == 10 and edit.after["rulebook"] == "qd1430-2017"
    # A request received after the edit gets the new amount: 10 working days from 10/03 is 24/03.
    newer = make_request(district["dhu"], type="information", received_at=RECEIVED)
    assert newer.due_at == vn_end(2026, 3, 24)
    assert newer.deadline_explanation["citation"]["text"] == "Trích dẫn mới"
    # Saving the same values again changes nothing and writes no event.
    assert services.update_rule(admin, rule, _rule_data(rule)) == {}
    assert len(events("rulebook.rule_edit", rule.id)) == 1


def rule_citation_2017() -> str:
    from spokes.deadlines.rulebook import load_seed_json

    book = next(b for b in load_seed_json()["rulebooks"] if b["code"] == "qd1430-2017")
    return next(r["citation_text"] for r in book["rules"] if r["request_type"] == "information")


def test_rule_edit_validation(rulebooks, admin):
    rule = rule_of("qd1430-2017", "information")
    for bad in ({"amount": 0}, {"unit": "weeks"}, {"confidence": "X"}, {"label": " "},
                {"reminder_offsets": [400]}, {"extension_allowed": True, "extension_max_amount": 0}):
        with pytest.raises(DomainError) as err:
            services.update_rule(admin, rule, _rule_data(rule, **bad))
        assert err.value.status == 400, bad
        db.session.rollback()
    # Turning extensions off also clears the maximum, so the two never disagree.
    services.update_rule(admin, rule, _rule_data(rule, extension_allowed=False, extension_max_amount=5))
    assert rule.extension_max_amount == 0


def test_refusal_ground_edit_is_audited(rulebooks, admin):
    book = db.session.execute(select(Rulebook).where(Rulebook.code == "qd1430-2017")).scalar_one()
    ground = next(g for g in book.refusal_grounds if g.code == "d")
    changed = services.update_refusal_ground(admin, ground, services.GroundData(
        text=ground.text, source="QĐ 1430/2017/QĐ-UBND, Điều 7", confidence="S"))
    assert changed == {"source": "QĐ 1430/2017/QĐ-UBND, Điều 7", "confidence": "S"}
    [edit] = events("rulebook.ground_edit", ground.id)
    assert edit.before["confidence"] == "U" and edit.after["code"] == "d"
    with pytest.raises(DomainError):
        services.update_refusal_ground(admin, ground, services.GroundData(text="", source="x", confidence="Q"))


def test_new_version_is_chosen_by_received_date(now, district, admin, make_request):
    book2025 = db.session.execute(select(Rulebook).where(Rulebook.code == "lbc2025-nd237")).scalar_one()
    stored = make_request(district["dhu"], type="information", received_at=RECEIVED)
    stored_due = stored.due_at

    new = services.create_rulebook_version(
        admin, book2025, code="lbc2025-v2", name="Luật Báo chí 2025 — sửa đổi 2027", valid_from=date(2027, 1, 1))
    info = next(r for r in new.rules if r.request_type == "information")
    services.update_rule(admin, info, _rule_data(info, amount=7))
    db.session.commit()

    assert book2025.valid_to == date(2026, 12, 31)
    assert new.valid_to is None
    assert len(new.rules) == len(book2025.rules) and len(new.refusal_grounds) == len(book2025.refusal_grounds)
    assert next(r for r in book2025.rules if r.request_type == "information").amount == 5
    # Thursday 31/12/2026 is the old version's last day; Friday 01/01/2027 (a holiday) starts the new one.
    old_pick = services.compute("information", datetime(2026, 12, 31, 9, 0))
    new_pick = services.compute("information", datetime(2027, 1, 1, 9, 0))
    assert old_pick.rulebook.code == "lbc2025-nd237" and old_pick.result.amount == 5
    assert new_pick.rulebook.code == "lbc2025-v2" and new_pick.result.amount == 7
    # Received on the holiday 01/01: 7 working days are Mon 04 … Tue 12/01/2027.
    assert new_pick.result.due_at == vn_end(2027, 1, 12)
    assert reload(stored).due_at == stored_due
    [created] = events("rulebook.version_created", new.id)
    assert created.after["copied_from"] == "lbc2025-nd237"
    [closed] = events("rulebook.validity_changed", book2025.id)
    assert closed.before["valid_to"] is None and closed.after["valid_to"] == "2026-12-31"


def test_new_version_between_two_books_fits_between_them(rulebooks, admin):
    book2017 = db.session.execute(select(Rulebook).where(Rulebook.code == "qd1430-2017")).scalar_one()
    new = services.create_rulebook_version(
        admin, book2017, code="qd1430-2020", name="QĐ 1430/2017 sửa đổi 2020", valid_from=date(2020, 1, 1))
    assert book2017.valid_to == date(2019, 12, 31)
    assert new.valid_to == date(2026, 6, 30)
    assert services.compute("press_answer", datetime(2020, 1, 1, 9, 0)).rulebook.code == "qd1430-2020"
    assert services.compute("press_answer", datetime(2026, 7, 1, 9, 0)).rulebook.code == "lbc2025-nd237"


def test_new_version_validation(rulebooks, admin):
    book = db.session.execute(select(Rulebook).where(Rulebook.code == "lbc2025-nd237")).scalar_one()
    cases = [
        dict(code="lbc2025-nd237", name="Trùng mã", valid_from=date(2027, 1, 1)),
        dict(code="khac", name="Trùng ngày", valid_from=date(2026, 7, 1)),
        dict(code="Có Dấu", name="Mã sai", valid_from=date(2027, 1, 1)),
        dict(code="xa-qua", name="Quá xa", valid_from=date(2041, 1, 1)),
        dict(code="khong-ten", name=" ", valid_from=date(2027, 1, 1)),
    ]
    for case in cases:
        with pytest.raises(DomainError) as err:
            services.create_rulebook_version(admin, book, **case)
        assert err.value.status == 400, case
    assert book.valid_to is None


# --------------------------------------------------------------------------- extensions


def test_extension_within_the_rule_maximum(now, district, make_user, make_request):
    head = make_user("head", district["dhu"], designate="head")
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    old_due = req.due_at

    record = requests_services.extend(head, req, 3, "Cần xin ý kiến phòng chuyên môn")
    db.session.commit()
    # 5 + 3 = 8 working days from Tue 10/03: 11, 12, 13, 16, 17, 18, 19, 20 → Friday 20/03.
    req = reload(req)
    assert req.due_at == vn_end(2026, 3, 20)
    assert req.due_at == compute_due(RECEIVED, 8, "working_days", services.work_calendar()).due_at
    assert req.extended_amount == 3
    stored = db.session.get(Extension, record.id)
    assert (stored.amount, stored.old_due_at, stored.new_due_at) == (3, old_due, req.due_at)
    [audit] = events("request.extend", req.id)
    assert audit.public is True and audit.after["amount"] == 3

    requests_services.extend(head, req, 2, "Thêm hai ngày")  # total 5 = the maximum
    db.session.commit()
    assert reload(req).due_at == vn_end(2026, 3, 24)
    with pytest.raises(DomainError) as err:
        requests_services.extend(head, reload(req), 1, "Quá mức")
    assert err.value.status == 409 and "vượt quá mức tối đa" in err.value.message
    db.session.rollback()
    assert reload(req).extended_amount == 5
    assert db.session.execute(select(Extension).where(Extension.request_id == req.id)).scalars().all().__len__() == 2


def test_extension_refused_where_the_rule_forbids_it(now, district, make_user, make_request):
    head = make_user("head", district["dhu"], designate="head")
    req = make_request(district["dhu"], type="press_answer", received_at=RECEIVED)
    with pytest.raises(DomainError) as err:
        requests_services.extend(head, req, 1, "Xin thêm thời gian")
    assert err.value.status == 409 and "không cho phép gia hạn" in err.value.message
    db.session.rollback()
    assert reload(req).due_at == vn_end(2026, 4, 9)
    assert not db.session.execute(select(Extension)).scalars().all()


def test_extension_needs_a_reason(now, district, make_user, make_request):
    head = make_user("head", district["dhu"], designate="head")
    req = make_request(district["dhu"], type="information", received_at=RECEIVED)
    with pytest.raises(DomainError):
        requests_services.extend(head, req, 1, "   ")


# --------------------------------------------------------------------------- the calculator service


def test_calculate_explains_why_no_deadline_applies(rulebooks):
    with pytest.raises(services.DeadlineUnavailable) as err:
        services.calculate("information", datetime(2016, 12, 30, 9, 0))
    assert "30/12/2016" in str(err.value) and "01/01/2017" in str(err.value)
    with pytest.raises(services.DeadlineUnavailable) as err:
        services.calculate("forwarded_complaint", datetime(2026, 6, 30, 9, 0), milestone="conclusion")
    assert "NĐ 09/2017 — Luật Báo chí 2016" in str(err.value)
    # From 01/07/2026 the conclusion milestone exists: 5 working days from Fri 10/07 → Fri 17/07.
    result = services.calculate("forwarded_complaint", datetime(2026, 7, 10, 9, 30), milestone="conclusion")
    assert result.result.due_at == vn_end(2026, 7, 17)
    assert result.rule.milestone == "conclusion"


def test_civil_code_steps_pick_the_counting_lines(rulebooks):
    # 30 days from Wed 01/04/2026 end on Fri 01/05 (Labour Day) → Mon 04/05 (BLDS Điều 148).
    explanation = services.compute("press_answer", datetime(2026, 4, 1, 10, 0)).explanation()
    steps = services.civil_code_steps(explanation)
    assert [step["code"] for step in steps] == ["days_start", "moved"]
    lines = render_steps(steps)
    assert any("Điều 147" in s for s in lines) and any("Điều 148" in s for s in lines)
    assert all("BLDS 2015" in s for s in lines)
    # Every step that cites the Civil Code is picked, and no other.
    others = [step for step in explanation["steps"] if step not in steps]
    assert not any("BLDS 2015" in s for s in render_steps(others))
