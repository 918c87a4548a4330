"""Exact figures on the fixed data set (tests/reports/conftest.py), counted by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from spokes.core.errors import NotAllowed
from spokes.deadlines.calendar import WorkCalendar
from spokes.extensions import db
from spokes.reports.services import (
    QUERY_COUNT,
    Period,
    ReportInputError,
    ReportScope,
    build_report,
    make_period,
    scope_for,
    weighted_median,
    weighted_percentile,
    working_day_counter,
)

from .conftest import EXPECTED_AM, NOW, PERIOD


def _am_report(report_data):
    return build_report(ReportScope.of_unit(report_data.units["district"]), Period(*PERIOD))


def test_received_by_type_channel_and_month(report_data):
    report = _am_report(report_data)
    assert report.received == EXPECTED_AM["received"]
    assert {c.code: c.count for c in report.by_type} == EXPECTED_AM["by_type"]
    assert {c.code: c.count for c in report.by_channel} == EXPECTED_AM["by_channel"]
    monthly = {m.month: {t: n for t, n in m.by_type.items() if n} for m in report.monthly}
    assert monthly == EXPECTED_AM["monthly"]
    assert [m.total for m in report.monthly] == [7, 5, 8]
    assert [m.label for m in report.monthly] == ["01/2026", "02/2026", "03/2026"]


def test_outcomes_overdue_and_ageing(report_data):
    report = _am_report(report_data)
    for name in ("answered", "on_time", "late", "open", "overdue", "refused", "withdrawn", "transferred",
                 "published"):
        assert getattr(report, name) == EXPECTED_AM[name], name
    assert {b.bucket.code: b.count for b in report.ageing} == EXPECTED_AM["ageing"]
    assert report.on_time_rate == pytest.approx(8 / 11)
    assert {g.code: g.count for g in report.refused_by_ground} == EXPECTED_AM["refused_by_ground"]
    assert all(g.text and g.rulebook for g in report.refused_by_ground)


def test_answer_time_in_working_days(report_data):
    report = _am_report(report_data)
    assert report.answer_days == EXPECTED_AM["answer_days"]
    assert report.answer_days_median == EXPECTED_AM["median"]
    assert report.answer_days_p90 == EXPECTED_AM["p90"]


def test_directory_compliance_and_ranking(report_data):
    report = _am_report(report_data)
    assert [u.code for u in report.units_without_spokesperson] == EXPECTED_AM["without_spokesperson"]
    ranking = [(u.code, u.received, u.answered, u.on_time, u.late, u.open, u.overdue) for u in report.ranking]
    assert ranking == EXPECTED_AM["ranking"]
    assert report.ranking[1].on_time_rate == pytest.approx(6 / 7)


def test_head_scope_counts_only_the_unit(report_data):
    scope = scope_for(report_data.users["dhu_head"])
    report = build_report(scope, Period(*PERIOD))
    assert scope.unit.code == "AM-DHU" and not scope.subtree
    assert report.received == 12
    assert (report.answered, report.on_time, report.late, report.open, report.overdue) == (7, 6, 1, 2, 1)
    assert report.transferred == 1  # R23 left DHU on 05/01
    assert report.published == 1
    assert [u.code for u in report.ranking] == ["AM-DHU"]
    assert report.units_without_spokesperson == []


def test_province_scope_adds_the_other_district(report_data):
    report = build_report(scope_for(report_data.users["admin"]), Period(*PERIOD))
    assert report.received == 22  # + R22 (transferred to HT) and R24
    assert report.transferred == 3
    assert report.published == 3  # + p5
    assert report.open == 7 and report.overdue == 6  # R22 is open and overdue at HT


def test_a_unit_alone_excludes_its_subtree(report_data):
    scope = scope_for(report_data.users["overseer"], report_data.units["district"], subtree=False)
    report = build_report(scope, Period(*PERIOD))
    assert report.received == 1 and report.on_time == 1


def test_scope_refuses_units_outside_reach(report_data):
    units, users = report_data.units, report_data.users
    with pytest.raises(NotAllowed):
        scope_for(users["dhu_head"], units["vk"])
    with pytest.raises(NotAllowed):
        scope_for(users["dhu_head"], units["dhu"], subtree=True)
    with pytest.raises(NotAllowed):
        scope_for(users["overseer"], units["other_district"])
    with pytest.raises(NotAllowed):
        scope_for(users["dhu_clerk"])
    assert scope_for(users["overseer"], units["vk"]).subtree


def test_fixed_number_of_queries(report_data, make_unit):
    """Adding units and requests does not add queries (no per-unit query)."""
    statements: list[str] = []

    def count(*args):
        if args[2].lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(args[2])

    province = report_data.units["province"]
    assert province.path  # load the unit now: its refresh after commit is not the report's query
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        build_report(ReportScope.of_unit(province), Period(*PERIOD))
        first = len(statements)
        event.remove(db.engine, "before_cursor_execute", count)
        for i in range(5):
            make_unit(f"AM-X{i}", parent=report_data.units["district"])
        assert province.path
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        build_report(ReportScope.of_unit(province), Period(*PERIOD))
    finally:
        if event.contains(db.engine, "before_cursor_execute", count):
            event.remove(db.engine, "before_cursor_execute", count)
    assert first == len(statements) == QUERY_COUNT


def test_period_defaults_and_validation():
    today = NOW.date()
    assert make_period(None, None, today=today) == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert make_period(date(2025, 7, 1), None, today=today) == Period(date(2025, 7, 1), date(2025, 12, 31))
    assert make_period(None, date(2024, 3, 1), today=today) == Period(date(2024, 1, 1), date(2024, 3, 1))
    with pytest.raises(ReportInputError):
        make_period(date(2026, 2, 1), date(2026, 1, 31), today=today)
    with pytest.raises(ReportInputError):
        make_period(date(2020, 1, 1), date(2025, 1, 31), today=today)
    assert make_period(date(2021, 1, 1), date(2025, 12, 31), today=today).end == date(2025, 12, 31)
    assert Period(date(2025, 11, 15), date(2026, 2, 10)).months() == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_working_day_counter_rules():
    cal = WorkCalendar()
    count = working_day_counter(cal, date(2026, 1, 1), date(2026, 3, 31))
    assert count(date(2026, 1, 7), date(2026, 1, 7)) == 0  # same day
    assert count(date(2026, 1, 9), date(2026, 1, 10)) == 0  # Friday -> Saturday
    assert count(date(2026, 1, 9), date(2026, 1, 12)) == 1  # Friday -> Monday
    assert count(date(2026, 2, 13), date(2026, 2, 23)) == 1  # across Tết
    assert count(date(2026, 1, 10), date(2026, 1, 9)) == 0  # an answer dated before receipt counts 0
    # Outside the precomputed span it still counts correctly (day by day).
    assert count(date(2025, 12, 31), date(2026, 1, 5)) == 2  # 01/01 holiday, 02/01 and 05/01


def test_weighted_median_and_percentile():
    assert weighted_median({}) is None and weighted_percentile({}, 90) is None
    assert weighted_median({1: 1, 3: 1}) == 2.0
    assert weighted_median({0: 3, 5: 1, 9: 1}) == 0.0
    assert weighted_percentile({v: 1 for v in range(1, 11)}, 90) == 9
    assert weighted_percentile({1: 1}, 90) == 1
