"""The running totals follow every change made by the services, and equal a rebuild from scratch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from spokes.units import merge as unit_merge
from spokes.core.clock import today_vn
from spokes.deadlines.models import RefusalGround
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.press_requests import services as svc
from spokes.reports.models import COUNT_COLUMNS, ReportAnswerDays, ReportTotal
from spokes.reports.services import Period, ReportScope, build_report, split_period
from spokes.reports.totals import rebuild
from spokes.units.models import Unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=VN)


def _snapshot() -> tuple[list[tuple], list[tuple]]:
    db.session.flush()
    totals = [(r.unit_id, r.month, r.type, r.ground_id, *(getattr(r, c) for c in COUNT_COLUMNS))
              for r in db.session.execute(select(ReportTotal)).scalars() if any(getattr(r, c) for c in COUNT_COLUMNS)]
    days = [(r.unit_id, r.month, r.days, r.answers)
            for r in db.session.execute(select(ReportAnswerDays)).scalars() if r.answers]
    db.session.expire_all()
    return sorted(totals), sorted(days)


def _figures(scope: ReportScope, period: Period) -> dict:
    report = build_report(scope, period)
    return {
        "received": report.received, "answered": report.answered, "on_time": report.on_time, "late": report.late,
        "open": report.open, "overdue": report.overdue, "refused": report.refused, "withdrawn": report.withdrawn,
        "by_type": {c.code: c.count for c in report.by_type}, "by_channel": {c.code: c.count for c in report.by_channel},
        "monthly": [m.by_type for m in report.monthly], "answer_days": report.answer_days,
        "grounds": {g.code: g.count for g in report.refused_by_ground},
        "ranking": [(u.code, u.received, u.answered, u.open, u.overdue) for u in report.ranking],
    }


def _scenario(world, frozen_clock) -> list:
    """Intake, answer, refusal, withdrawal, transfer, reclassification, reopening and a unit merge."""
    chair, other_chair, admin = world["chair"], world["other_chair"], world["admin"]
    dhu, vk = world["dhu"], world["vk"]
    frozen_clock(NOW)

    def intake(unit, actor, received: datetime, rtype="information", channel="phone"):
        data = svc.IntakeData(type=rtype, channel=channel, subject="Tiến độ nạo vét kênh", questions="Xin cho biết.",
                              journalist=svc.JournalistData(name="Lê Phóng Viên", agency="Báo Kiên Giang",
                                                            email="pv@baochi.vn"),
                              received_at=received.astimezone(UTC), received_at_reason="Nhận qua điện thoại")
        req, _token = svc.intake(actor, unit, data)
        return req

    def answer(req, kind="answer"):
        if kind == "refusal":
            ground = db.session.execute(select(RefusalGround).where(
                RefusalGround.rulebook_id == req.rulebook_id).order_by(RefusalGround.code)).scalars().first()
            draft = svc.DraftData(kind="refusal", refusal_ground_id=ground.id, refusal_reason="Đang thanh tra.")
        else:
            draft = svc.DraftData(body="Trả lời: đã nạo vét xong.")
        svc.save_draft(chair, req, draft)
        svc.submit_draft(chair, req)
        svc.approve(chair, req)

    # 00:30 on 1 February in Vietnam is still 31 January in UTC: the request counts in February.
    reqs = [
        intake(dhu, chair, datetime(2026, 2, 1, 0, 30, tzinfo=VN)),
        intake(dhu, chair, datetime(2026, 1, 31, 23, 30, tzinfo=VN), "interview", "email"),
        intake(dhu, chair, datetime(2026, 2, 10, 9, 0, tzinfo=VN), "press_answer", "letter"),
        intake(dhu, chair, datetime(2026, 3, 2, 9, 0, tzinfo=VN)),
        intake(vk, other_chair, datetime(2026, 3, 3, 14, 0, tzinfo=VN), "forwarded_feedback", "web_form"),
        intake(dhu, chair, datetime(2026, 3, 16, 8, 0, tzinfo=VN)),
    ]
    db.session.commit()
    answer(reqs[0])
    answer(reqs[1], "refusal")
    svc.withdraw(None, reqs[2])
    db.session.commit()
    svc.transfer(chair, reqs[3], vk, "Thuộc thẩm quyền của xã Vân Khánh.")
    svc.reclassify(chair, reqs[5], "interview", "Phóng viên xin phỏng vấn.")
    db.session.commit()
    svc.reopen(chair, reqs[0], "Bổ sung số liệu.")
    db.session.commit()
    answer(reqs[0])
    db.session.commit()
    unit_merge.merge_units(admin, unit_merge.MergeData(source_ids=[vk.id], merge_date=today_vn(), target_id=dhu.id))
    db.session.commit()
    return reqs


def test_totals_kept_by_the_services_equal_a_rebuild(world, frozen_clock):
    _scenario(world, frozen_clock)
    kept = _snapshot()
    assert kept[0], "the services counted nothing"
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    scope = ReportScope.of_unit(world["district"])
    before = _figures(scope, period)
    assert before["received"] == 6 and before["refused"] == 1 and before["withdrawn"] == 1
    assert before["answered"] == 1 and before["open"] == 3
    assert before["monthly"][0] == {**before["monthly"][0], "interview": 1, "information": 0}
    assert before["monthly"][1]["information"] == 1  # 01/02 00:30 Vietnamese time

    unit_ids = list(db.session.execute(select(Unit.id)).scalars())
    rebuild(db.session.connection(), work_calendar(), unit_ids, batch=2)
    assert _snapshot() == kept
    assert _figures(scope, period) == before


def test_a_cut_month_is_counted_on_the_requests(world, frozen_clock):
    """A period that cuts months counts those days on the requests: the same figures as the totals give."""
    _scenario(world, frozen_clock)
    scope = ReportScope.of_unit(world["district"])
    cut = Period(date(2026, 1, 31), date(2026, 3, 2))  # a day of January, all February, two days of March
    assert split_period(cut) == ([date(2026, 2, 1)], [(date(2026, 1, 31), date(2026, 1, 31)),
                                                       (date(2026, 3, 1), date(2026, 3, 2))])
    figures = _figures(scope, cut)
    assert figures["received"] == 4  # 31/01 23:30, 01/02 00:30, 10/02 and 02/03 (transferred, then merged back)
    assert figures["refused"] == 1 and figures["withdrawn"] == 1 and figures["answered"] == 1
    assert figures["answer_days"] == _figures(scope, Period(date(2026, 2, 1), date(2026, 2, 28)))["answer_days"]


def test_rebuild_command_prints_progress(runner, world, frozen_clock):
    _scenario(world, frozen_clock)
    kept = _snapshot()
    db.session.execute(ReportTotal.__table__.delete())
    result = runner.invoke(args=["reports", "rebuild-totals", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "đơn vị" in result.output and "6 yêu cầu" in result.output
    assert _snapshot() == kept


def test_overdue_is_judged_when_the_report_is_made(world, frozen_clock):
    _scenario(world, frozen_clock)
    scope = ReportScope.of_unit(world["district"])
    period = Period(date(2026, 1, 1), date(2026, 3, 31))
    early = build_report(scope, period, at=NOW.astimezone(UTC))
    late = build_report(scope, period, at=(NOW + timedelta(days=120)).astimezone(UTC))
    assert early.open == late.open == 3
    assert late.overdue == 3 and early.overdue < 3
