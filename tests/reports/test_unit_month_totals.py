"""Transfers and publications per unit and month: kept by the services, equal to a live count and a rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from spokes.core.clock import today_vn
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.press_requests import services as svc
from spokes.press_requests.models import Transfer
from spokes.publishing import services as publishing
from spokes.publishing.models import Publication
from spokes.reports.models import ReportUnitMonth
from spokes.reports.services import Period, ReportScope, _transfers_in, build_report
from spokes.reports.totals import rebuild
from spokes.units import merge as unit_merge
from spokes.units.models import Unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# Periods that use only stored months, only live days, and both (months cut at either end).
PERIODS = [
    Period(date(2026, 1, 1), date(2026, 3, 31)),
    Period(date(2026, 1, 1), date(2026, 1, 31)),
    Period(date(2026, 2, 1), date(2026, 2, 28)),
    Period(date(2026, 1, 31), date(2026, 2, 1)),
    Period(date(2026, 1, 15), date(2026, 3, 10)),
    Period(date(2025, 1, 1), date(2026, 12, 31)),
]


def _stored() -> list[tuple]:
    db.session.flush()
    rows = [(r.unit_id, r.month, r.transferred, r.published)
            for r in db.session.execute(select(ReportUnitMonth)).scalars() if r.transferred or r.published]
    db.session.expire_all()
    return sorted(rows)


def _live(scope: ReportScope, period: Period) -> tuple[int, int]:
    """Count as the report did before the totals: DISTINCT transferred requests, publications not withdrawn."""
    transferred = db.session.execute(
        select(func.count()).select_from(_transfers_in(scope, period).distinct().subquery())).scalar_one()
    published = db.session.execute(
        select(func.count(Publication.id)).join(Unit, Unit.id == Publication.unit_id)
        .where(scope.condition(), Publication.published_at >= period.start_at,
               Publication.published_at < period.end_before, Publication.withdrawn_at.is_(None))).scalar_one()
    return transferred, published


def _scopes(world) -> list[ReportScope]:
    units = [world[k] for k in ("province", "district", "dhu", "vk", "vhtt", "other_district")]
    return [ReportScope.of_unit(u) for u in units] + [ReportScope.of_unit(u, subtree=False) for u in units]


def _assert_reports_equal_live_counts(world) -> None:
    for scope in _scopes(world):
        for period in PERIODS:
            report = build_report(scope, period)
            assert (report.transferred, report.published) == _live(scope, period), (scope.unit.code, period)


def _assert_totals_equal_a_rebuild() -> None:
    kept = _stored()
    repeats = sorted(db.session.execute(select(Transfer.id, Transfer.is_repeat)).all())
    unit_ids = list(db.session.execute(select(Unit.id)).scalars())
    db.session.execute(ReportUnitMonth.__table__.delete())
    db.session.execute(Transfer.__table__.update().values(is_repeat=False))
    rebuild(db.session.connection(), work_calendar(), unit_ids, batch=2)
    assert _stored() == kept
    assert sorted(db.session.execute(select(Transfer.id, Transfer.is_repeat)).all()) == repeats


def _intake(unit, actor, received: datetime):
    data = svc.IntakeData(type="information", channel="phone", subject="Tiến độ nạo vét kênh", questions="Xin cho biết.",
                          journalist=svc.JournalistData(name="Lê Phóng Viên", agency="Báo Kiên Giang",
                                                        email="pv@baochi.vn"),
                          received_at=received.astimezone(UTC), received_at_reason="Nhận qua điện thoại")
    req, _token = svc.intake(actor, unit, data)
    return req


def _publish(actor, unit, title: str) -> Publication:
    return publishing.publish_statement(actor, unit, "periodic", publishing.PublicationData(
        title=title, summary="", body="Thông tin định kỳ.", speaker_name=actor.name))


@pytest.fixture()
def flows(world, frozen_clock):
    """Transfers (one request three times, over a month boundary) and publications, some withdrawn."""
    chair, other_chair = world["chair"], world["other_chair"]
    dhu, vk, vhtt, ht = world["dhu"], world["vk"], world["vhtt"], world["other_district"]
    at = {}

    def moment(*args: int) -> datetime:
        value = datetime(*args, tzinfo=VN)
        frozen_clock(value)
        return value

    moment(2026, 1, 12, 9, 0)
    r1 = _intake(dhu, chair, datetime(2026, 1, 12, 8, 0, tzinfo=VN))
    r2 = _intake(dhu, chair, datetime(2026, 1, 12, 8, 30, tzinfo=VN))
    at["p_jan"] = _publish(chair, dhu, "Thông tin tháng Một")
    db.session.commit()
    # 23:30 on 31 January in Vietnam; 00:30 on 1 February in Vietnam is still 31 January in UTC.
    moment(2026, 1, 31, 23, 30)
    svc.transfer(chair, r1, vk, "Thuộc thẩm quyền của xã Vân Khánh.")
    at["p_last_evening"] = _publish(chair, dhu, "Thông tin cuối tháng Một")
    db.session.commit()
    moment(2026, 2, 1, 0, 30)
    svc.transfer(other_chair, r1, dhu, "Trả lại: thuộc xã Đông Hưng.")
    at["p_feb_vk"] = _publish(other_chair, vk, "Thông tin của xã Vân Khánh")
    db.session.commit()
    moment(2026, 2, 10, 9, 0)
    svc.transfer(chair, r1, vhtt, "Thuộc phòng Văn hóa và Thông tin.")
    svc.transfer(chair, r2, ht, "Thuộc huyện Hòn Đất.")
    at["p_feb"] = _publish(chair, dhu, "Thông tin tháng Hai")
    db.session.commit()
    moment(2026, 3, 5, 9, 0)
    publishing.withdraw(chair, at["p_jan"], "Đăng nhầm.")  # counted in January until now
    db.session.commit()
    return {"requests": [r1, r2], "publications": at}


def test_transfers_and_publications_are_counted_per_unit_and_month(world, flows):
    dhu, vk = world["dhu"], world["vk"]
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    assert _stored() == sorted([
        (dhu.id, jan, 1, 1),  # r1 left on 31/01 23:30; the last evening's item (the 12/01 one is withdrawn)
        (dhu.id, feb, 2, 1),  # r1 and r2 left on 10/02
        (vk.id, feb, 1, 1),  # r1 went back on 01/02 00:30 Vietnamese time (31/01 in UTC)
    ])
    # Only r1's second and third transfers repeat it.
    assert [t.is_repeat for t in db.session.execute(select(Transfer).order_by(Transfer.id)).scalars()] == [
        False, True, True, False]


def test_a_request_transferred_three_times_counts_once(world, flows):
    district = ReportScope.of_unit(world["district"])
    q1 = build_report(district, PERIODS[0])
    assert q1.transferred == 2  # r1 (three transfers inside An Minh) and r2
    assert q1.published == 3  # the withdrawn item no longer counts
    assert build_report(district, Period(date(2026, 1, 31), date(2026, 2, 1))).transferred == 1  # r1, twice
    assert build_report(ReportScope.of_unit(world["vk"], subtree=False), PERIODS[0]).transferred == 1
    _assert_reports_equal_live_counts(world)


def test_withdrawal_and_republication_move_the_count(world, flows, frozen_clock):
    chair, dhu = world["chair"], world["dhu"]
    pub = flows["publications"]["p_feb"]
    frozen_clock(datetime(2026, 3, 6, 9, 0, tzinfo=VN))
    publishing.withdraw(chair, pub, "Số liệu chưa đúng.")
    db.session.commit()
    feb = Period(date(2026, 2, 1), date(2026, 2, 28))
    assert build_report(ReportScope.of_unit(dhu, subtree=False), feb).published == 0
    again = _publish(chair, dhu, "Thông tin tháng Hai (đăng lại)")  # published again in March
    db.session.commit()
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert build_report(ReportScope.of_unit(dhu, subtree=False), march).published == 1
    assert again.published_at.astimezone(VN).month == 3
    # Were a withdrawal ever undone, the item would count in its month again.
    pub.withdrawn_at, pub.withdrawn_reason = None, None
    db.session.commit()
    assert build_report(ReportScope.of_unit(dhu, subtree=False), feb).published == 1
    _assert_reports_equal_live_counts(world)
    _assert_totals_equal_a_rebuild()


def test_a_unit_merge_moves_publications_and_keeps_transfers(world, flows, frozen_clock):
    frozen_clock(datetime(2026, 3, 20, 10, 0, tzinfo=VN))
    vk, dhu = world["vk"], world["dhu"]
    unit_merge.merge_units(world["admin"], unit_merge.MergeData(source_ids=[vk.id], merge_date=today_vn(),
                                                                target_id=dhu.id))
    db.session.commit()
    feb = date(2026, 2, 1)
    stored = _stored()
    assert (dhu.id, feb, 2, 2) in stored  # Vân Khánh's February item moved to Đông Hưng
    assert (vk.id, feb, 1, 0) in stored  # the transfer was made out of Vân Khánh, and stays there
    _assert_reports_equal_live_counts(world)
    _assert_totals_equal_a_rebuild()


def test_rebuild_recounts_what_a_bulk_statement_left_behind(world, flows):
    db.session.execute(Publication.__table__.update().where(Publication.id == flows["publications"]["p_feb"].id)
                       .values(withdrawn_at=datetime(2026, 3, 7, tzinfo=UTC), withdrawn_reason="Thử."))
    unit_ids = list(db.session.execute(select(Unit.id)).scalars())
    rebuild(db.session.connection(), work_calendar(), unit_ids)
    _assert_reports_equal_live_counts(world)
