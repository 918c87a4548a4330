"""The official working calendar shipped as data: swaps, estimated years, cancelled days off."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from spokes.deadlines import shipped
from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.engine import compute_due
from spokes.deadlines.explain import render_steps

OFFICIAL = shipped.load_calendar()


def official_calendar(**extra) -> WorkCalendar:
    """Build the calendar the app builds from the shipped data alone (pure: no database)."""
    days = shipped.calendar_days(OFFICIAL)
    return WorkCalendar(
        extra_days_off={d.day: d.reason for d in days if d.kind == "day_off"},
        makeup_working_days={d.day: d.reason for d in days if d.kind == "working_day"},
        announced_years=shipped.announced_years(OFFICIAL),
        day_notes=shipped.uncertain_day_notes(OFFICIAL),
        **extra,
    )


def test_2026_swap_is_shipped_with_its_document() -> None:
    days = {d.day: d for d in shipped.calendar_days(OFFICIAL)}
    assert days[date(2026, 1, 2)].kind == "day_off"
    assert days[date(2026, 1, 10)].kind == "working_day"
    assert "12729/VPCP-KGVX" in days[date(2026, 1, 2)].document
    assert "12729/VPCP-KGVX" in days[date(2026, 1, 10)].document
    assert any("12729/VPCP-KGVX" in doc["number"] for doc in shipped.year_documents(OFFICIAL, 2026))


def test_information_received_31_12_2025_is_due_09_01_2026() -> None:
    # Thu 01/01 and Fri 02/01 (CV 12729) off, weekend 03–04/01; Mon 05 … Thu 08 = 1–4, Fri 09 = 5.
    result = compute_due(datetime(2025, 12, 31, 9, 0, tzinfo=VN_TZ), 5, "working_days", official_calendar())
    assert result.due_date == date(2026, 1, 9)
    assert date(2026, 1, 2) in {d.date for d in result.skipped_days}
    assert not result.estimated


def test_information_received_monday_05_01_2026_is_due_saturday_10_01() -> None:
    # Tue 06 … Fri 09 = 1–4; Saturday 10/01/2026 is a working day (CV 12729) = 5.
    result = compute_due(datetime(2026, 1, 5, 9, 0, tzinfo=VN_TZ), 5, "working_days", official_calendar())
    assert result.due_date == date(2026, 1, 10)
    assert any(step["code"] == "makeup" and step["day"] == "2026-01-10" for step in result.steps)
    assert any("10/01/2026 là ngày làm việc" in line for line in render_steps(result.steps))


def test_the_package_alone_misses_the_swap() -> None:
    """Why the data is shipped: the holidays package gives 08/01 and 12/01."""
    package = WorkCalendar()
    assert compute_due(datetime(2025, 12, 31, 9, 0), 5, "working_days", package).due_date == date(2026, 1, 8)
    assert compute_due(datetime(2026, 1, 5, 9, 0), 5, "working_days", package).due_date == date(2026, 1, 12)


def test_tet_2026_is_off_from_14_to_22_february() -> None:
    cal = official_calendar()
    assert all(not cal.is_working_day(date(2026, 2, d)) for d in range(14, 23))
    assert cal.is_working_day(date(2026, 2, 13)) and cal.is_working_day(date(2026, 2, 23))


def test_years_2017_to_2026_are_announced_and_2027_is_estimated() -> None:
    announced = shipped.announced_years(OFFICIAL)
    assert set(range(2017, 2027)) <= announced
    assert 2027 not in announced
    cal = official_calendar()
    assert not cal.is_estimated(2026) and cal.is_estimated(2027)


def test_a_deadline_in_an_estimated_year_is_flagged_du_kien() -> None:
    result = compute_due(datetime(2027, 2, 1, 9, 0, tzinfo=VN_TZ), 5, "working_days", official_calendar())
    assert result.estimated and result.estimated_years == (2027,)
    assert {"code": "estimated", "years": [2027]} in result.steps
    assert any("dự kiến" in line for line in render_steps(result.steps))
    # A period that crosses into the estimated year is flagged too; one inside 2026 is not.
    crossing = compute_due(datetime(2026, 12, 28, 9, 0, tzinfo=VN_TZ), 5, "working_days", official_calendar())
    assert crossing.estimated_years == (2027,)
    inside = compute_due(datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ), 5, "working_days", official_calendar())
    assert not inside.estimated
    # Hours do not depend on days off.
    assert not compute_due(datetime(2027, 2, 1, 9, 0, tzinfo=VN_TZ), 24, "hours", official_calendar()).estimated


def test_a_cancelled_day_off_is_counted_as_a_working_day() -> None:
    # The package has 24/11/2026 (Tue) off as Ngày Văn hóa Việt Nam, which is not verified.
    base = official_calendar()
    assert base.day_off_name(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam (chưa kiểm chứng)"
    received = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
    assert compute_due(received, 1, "working_days", base).due_date == date(2026, 11, 25)
    cancelled = official_calendar(cancelled_days_off={date(2026, 11, 24): "Không nghỉ (CV 1/XX)"})
    result = compute_due(received, 1, "working_days", cancelled)
    assert result.due_date == date(2026, 11, 24)
    assert "Tính 24/11/2026 là ngày làm việc — Không nghỉ (CV 1/XX)." in render_steps(result.steps)


def test_cancelling_a_weekend_holiday_leaves_it_off() -> None:
    # Sun 26/04/2026 (Giỗ Tổ) stays a Sunday; only weekdays can be cancelled.
    cal = official_calendar(cancelled_days_off={date(2026, 4, 26): "x"})
    assert not cal.is_working_day(date(2026, 4, 26))


@pytest.mark.parametrize("year", range(2017, 2028))
def test_every_official_day_changes_the_package(year: int) -> None:
    """A shipped day that the package already agrees with would be noise; each one must matter."""
    package = WorkCalendar()
    for day in shipped.calendar_days(OFFICIAL):
        if day.day.year == year:
            assert package.is_working_day(day.day) == (day.kind == "day_off"), day
