"""Hand-computed deadline cases over the real Vietnamese calendar (the `holidays` package).

Each case carries a comment with the counting done by hand. Day periods skip the day of
receipt (BLDS 2015, Điều 147) and end at 23:59:59 Vietnamese time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from spokes.deadlines.calendar import VN_TZ, WorkCalendar, public_holidays, to_vn
from spokes.deadlines.engine import TimeUnit, add_working_days, compute_due
from spokes.deadlines.explain import render_step, render_steps
from spokes.deadlines.rulebook import evaluate, load_seed_rulebooks, select_rulebook

H, CD, WD = TimeUnit.HOURS, TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS
REAL = WorkCalendar()
# Admin data for March 2026: Monday 09/03 given off, Saturday 14/03 worked in exchange.
ADMIN = WorkCalendar(
    extra_days_off={date(2026, 3, 9): "Nghỉ theo quyết định của UBND tỉnh"},
    makeup_working_days={date(2026, 3, 14): "Làm bù cho ngày 09/03/2026"},
)


def d(s: str) -> date:
    """Parse dd/mm/yyyy."""
    return datetime.strptime(s, "%d/%m/%Y").date()


def eod(s: str) -> datetime:
    """23:59:59 Vietnamese time on dd/mm/yyyy."""
    return datetime.combine(d(s), time(23, 59, 59), tzinfo=VN_TZ)


@dataclass(frozen=True)
class Case:
    id: str
    received: datetime | str
    amount: int
    unit: TimeUnit
    due: datetime
    skipped: tuple[str, ...] | None = None  # dd/mm/yyyy; None = not checked
    moved_from: str | None = None
    calendar: WorkCalendar = field(default=REAL)


CASES = [
    # --- Tết Nguyên Đán ---------------------------------------------------------------
    # Tết Mậu Tuất 2018 (mùng 1 = Fri 16/02). Days off Wed 14/02 (29 Tết) – Tue 20/02 (mùng 5).
    # Received Tue 13/02. 14,15,16 off; 17 T7; 18 CN; 19,20 off; 21 Wed = 1, 22 Thu = 2, 23 Fri = 3.
    Case("tet-2018-3wd", datetime(2018, 2, 13, 10, 0), 3, WD, eod("23/02/2018"),
         ("14/02/2018", "15/02/2018", "16/02/2018", "17/02/2018", "18/02/2018", "19/02/2018", "20/02/2018")),
    # Tết Giáp Thìn 2024 (mùng 1 = Sat 10/02). Days off Thu 08/02 – Wed 14/02.
    # Received Wed 07/02. 8–14 skipped (7 days); 15 Thu = 1, 16 Fri = 2, 17–18 weekend,
    # 19 Mon = 3, 20 Tue = 4, 21 Wed = 5.
    Case("tet-2024-5wd", datetime(2024, 2, 7, 10, 0), 5, WD, eod("21/02/2024"),
         ("08/02/2024", "09/02/2024", "10/02/2024", "11/02/2024", "12/02/2024", "13/02/2024",
          "14/02/2024", "17/02/2024", "18/02/2024")),
    # Tết Bính Ngọ 2026 (mùng 1 = Tue 17/02). Days off Mon 16/02 – Fri 20/02 (9 days with weekends).
    # Received Thu 05/02, 10 calendar days: 06/02 = 1 … 15/02 = 10, a Sunday. Next working day:
    # 16–20 Tết, 21 T7, 22 CN → Mon 23/02 (Điều 148).
    Case("tet-2026-10cd", datetime(2026, 2, 5, 14, 0), 10, CD, eod("23/02/2026"),
         ("15/02/2026", "16/02/2026", "17/02/2026", "18/02/2026", "19/02/2026", "20/02/2026",
          "21/02/2026", "22/02/2026"), moved_from="15/02/2026"),
    # Tết Bính Ngọ 2026, working days: received Fri 13/02, 1 working day.
    # 14 T7, 15 CN, 16–20 Tết, 21 T7, 22 CN → Mon 23/02 = 1.
    Case("tet-2026-1wd", datetime(2026, 2, 13, 16, 30), 1, WD, eod("23/02/2026")),
    # Tết Đinh Mùi 2027 (mùng 1 = Sat 06/02), the package's projection: Thu 04/02 – Wed 10/02.
    # Received Wed 03/02, 1 working day: 4–10 off → Thu 11/02 = 1.
    Case("tet-2027-1wd", datetime(2027, 2, 3, 9, 0), 1, WD, eod("11/02/2027"),
         ("04/02/2027", "05/02/2027", "06/02/2027", "07/02/2027", "08/02/2027", "09/02/2027", "10/02/2027")),
    # --- 30/4 – 1/5 -------------------------------------------------------------------------
    # 2026: Giỗ Tổ Sun 26/04 → nghỉ bù Mon 27/04; 30/04 Thu, 01/05 Fri.
    # Received Fri 24/04: 25 T7, 26 CN (Giỗ Tổ), 27 bù; 28 Tue = 1, 29 Wed = 2; 30, 1 off; 2 T7, 3 CN;
    # 4 Mon = 3, 5 Tue = 4, 6 Wed = 5.
    Case("apr30-2026-5wd", datetime(2026, 4, 24, 9, 15), 5, WD, eod("06/05/2026"),
         ("25/04/2026", "26/04/2026", "27/04/2026", "30/04/2026", "01/05/2026", "02/05/2026", "03/05/2026")),
    # Calendar days ending on a holiday: received Tue 31/03/2026 + 30 days = Thu 30/04 (holiday);
    # 01/05 holiday, 02 T7, 03 CN → Mon 04/05.
    Case("apr30-2026-30cd", datetime(2026, 3, 31, 8, 0), 30, CD, eod("04/05/2026"),
         ("30/04/2026", "01/05/2026", "02/05/2026", "03/05/2026"), moved_from="30/04/2026"),
    # Calendar days from 28/04/2026 + 4 = Sat 02/05 → Mon 04/05 (30/04 and 01/05 are inside the period).
    Case("apr30-2026-4cd", datetime(2026, 4, 28, 9, 15), 4, CD, eod("04/05/2026"),
         ("02/05/2026", "03/05/2026"), moved_from="02/05/2026"),
    # 2025: 30/04 Wed, 01/05 Thu, 02/05 Fri off in exchange for Saturday 26/04 (làm bù).
    # Received Fri 25/04/2025, 1 working day → Sat 26/04 is worked = 1.
    Case("apr30-2025-makeup-sat", datetime(2025, 4, 25, 15, 0), 1, WD, eod("26/04/2025"), ()),
    # Received Tue 29/04/2025, 1 working day: 30, 1, 2 off; 3 T7, 4 CN → Mon 05/05 = 1.
    Case("apr30-2025-1wd", datetime(2025, 4, 29, 15, 0), 1, WD, eod("05/05/2025"),
         ("30/04/2025", "01/05/2025", "02/05/2025", "03/05/2025", "04/05/2025")),
    # --- 2/9 ---------------------------------------------------------------------------------
    # 2025: Mon 01/09 and Tue 02/09 off. Received Fri 29/08: 30 T7, 31 CN, 1, 2 off;
    # 3 Wed = 1, 4 Thu = 2.
    Case("sep2-2025-2wd", datetime(2025, 8, 29, 11, 0), 2, WD, eod("04/09/2025"),
         ("30/08/2025", "31/08/2025", "01/09/2025", "02/09/2025")),
    # 2023: 2/9 is a Saturday; off Fri 01/09, Sat 02, Sun 03 and Mon 04/09 (nghỉ bù).
    # Received Thu 31/08, 1 working day → Tue 05/09.
    Case("sep2-2023-1wd", datetime(2023, 8, 31, 11, 0), 1, WD, eod("05/09/2023")),
    # 2026: Tue 01/09, Wed 02/09 off, plus Mon 31/08 swapped for Saturday 22/08 (làm bù).
    # Received Fri 21/08, 1 working day → Sat 22/08 is worked = 1.
    Case("sep2-2026-makeup-sat", datetime(2026, 8, 21, 16, 0), 1, WD, eod("22/08/2026"), ()),
    # Received Fri 28/08/2026, 1 working day: 29 T7, 30 CN, 31 (swap), 1, 2 off → Thu 03/09.
    Case("sep2-2026-1wd", datetime(2026, 8, 28, 16, 0), 1, WD, eod("03/09/2026"),
         ("29/08/2026", "30/08/2026", "31/08/2026", "01/09/2026", "02/09/2026")),
    # Calendar days: received Sat 22/08/2026 + 10 = Tue 01/09 (Quốc khánh); 02/09 off → Thu 03/09.
    Case("sep2-2026-10cd", datetime(2026, 8, 22, 10, 0), 10, CD, eod("03/09/2026"),
         ("01/09/2026", "02/09/2026"), moved_from="01/09/2026"),
    # --- plain weekends ----------------------------------------------------------------------
    # Mon 02/03/2026 + 5 calendar days = Sat 07/03 → Mon 09/03.
    Case("weekend-5cd", datetime(2026, 3, 2, 9, 0), 5, CD, eod("09/03/2026"),
         ("07/03/2026", "08/03/2026"), moved_from="07/03/2026"),
    # Mon 02/03/2026 + 3 calendar days = Thu 05/03, a working day: no move.
    Case("weekday-3cd", datetime(2026, 3, 2, 9, 0), 3, CD, eod("05/03/2026"), ()),
    # Mon 02/03/2026, 5 working days: 3,4,5,6 = 1–4; 7 T7, 8 CN; Mon 09/03 = 5.
    Case("weekday-5wd", datetime(2026, 3, 2, 9, 0), 5, WD, eod("09/03/2026"), ("07/03/2026", "08/03/2026")),
    # --- admin days ------------------------------------------------------------------------
    # Extra day off Mon 09/03/2026. Received Fri 06/03, 1 working day: 7 T7, 8 CN, 9 off → Tue 10/03.
    Case("admin-extra-off-wd", datetime(2026, 3, 6, 9, 0), 1, WD, eod("10/03/2026"),
         ("07/03/2026", "08/03/2026", "09/03/2026"), calendar=ADMIN),
    # Calendar days ending on the extra day off: Mon 02/03 + 7 = Mon 09/03 (off) → Tue 10/03.
    Case("admin-extra-off-cd", datetime(2026, 3, 2, 9, 0), 7, CD, eod("10/03/2026"),
         ("09/03/2026",), moved_from="09/03/2026", calendar=ADMIN),
    # Make-up Saturday 14/03/2026. Received Thu 12/03, 2 working days: 13 Fri = 1, 14 Sat (làm bù) = 2.
    Case("admin-makeup-wd", datetime(2026, 3, 12, 9, 0), 2, WD, eod("14/03/2026"), (), calendar=ADMIN),
    # Same request without the make-up day: 13 Fri = 1; 14 T7, 15 CN; Mon 16/03 = 2.
    Case("no-makeup-wd", datetime(2026, 3, 12, 9, 0), 2, WD, eod("16/03/2026"), ("14/03/2026", "15/03/2026")),
    # Calendar days ending on the make-up Saturday: Mon 09/03 + 5 = Sat 14/03, worked → no move.
    Case("admin-makeup-cd", datetime(2026, 3, 9, 9, 0), 5, CD, eod("14/03/2026"), (), calendar=ADMIN),
    # --- receipt on a day off ---------------------------------------------------------------
    # Sat 07/03/2026, 1 working day: 8 CN; Mon 09/03 = 1.
    Case("recv-sat-1wd", datetime(2026, 3, 7, 10, 0), 1, WD, eod("09/03/2026"), ("08/03/2026",)),
    # Sat 07/03/2026 + 2 calendar days = Mon 09/03 (the count starts on Sunday 08/03).
    Case("recv-sat-2cd", datetime(2026, 3, 7, 10, 0), 2, CD, eod("09/03/2026"), ()),
    # Sun 08/03/2026, 1 working day: Mon 09/03 = 1.
    Case("recv-sun-1wd", datetime(2026, 3, 8, 10, 0), 1, WD, eod("09/03/2026"), ()),
    # Sun 08/03/2026 + 6 calendar days = Sat 14/03 → Mon 16/03.
    Case("recv-sun-6cd", datetime(2026, 3, 8, 10, 0), 6, CD, eod("16/03/2026"),
         ("14/03/2026", "15/03/2026"), moved_from="14/03/2026"),
    # Thu 30/04/2026 (holiday), 1 working day: 1/5 off, 2 T7, 3 CN → Mon 04/05 = 1.
    Case("recv-holiday-1wd", datetime(2026, 4, 30, 8, 0), 1, WD, eod("04/05/2026"),
         ("01/05/2026", "02/05/2026", "03/05/2026")),
    # Tue 02/09/2025 (Quốc khánh) + 1 calendar day = Wed 03/09, a working day.
    Case("recv-holiday-1cd", datetime(2025, 9, 2, 8, 0), 1, CD, eod("03/09/2025"), ()),
    # --- hours ---------------------------------------------------------------------------------
    # 22:30 + 3 h = 01:30 the next day.
    Case("hours-midnight", datetime(2026, 3, 2, 22, 30), 3, H, datetime(2026, 3, 3, 1, 30, tzinfo=VN_TZ), ()),
    # Wed 29/04/2026 18:00 + 24 h = Thu 30/04 18:00: holidays do not pause an hours period.
    Case("hours-holiday", datetime(2026, 4, 29, 18, 0), 24, H,
         datetime(2026, 4, 30, 18, 0, tzinfo=VN_TZ), ()),
    # Sun 15/02/2026 20:00 (eve of Tết) + 48 h = Tue 17/02 20:00 (mùng 1 Tết).
    Case("hours-tet", datetime(2026, 2, 15, 20, 0), 48, H, datetime(2026, 2, 17, 20, 0, tzinfo=VN_TZ), ()),
    # --- input time zones ----------------------------------------------------------------------
    # 02:00 UTC = 09:00 VN on 02/03/2026; + 24 h = 03/03 09:00 VN.
    Case("tz-utc-string", "2026-03-02T02:00:00+00:00", 24, H, datetime(2026, 3, 3, 9, 0, tzinfo=VN_TZ), ()),
    # Naive input is Vietnamese time: the same instant.
    Case("tz-naive", datetime(2026, 3, 2, 9, 0), 24, H, datetime(2026, 3, 3, 9, 0, tzinfo=VN_TZ), ()),
    # 20:00 UTC on Sun 01/03 is 03:00 VN on Mon 02/03: the day of receipt is 02/03, so
    # 1 working day = Tue 03/03 (not Mon 02/03, as the UTC date would suggest).
    Case("tz-utc-next-vn-day", "2026-03-01T20:00:00+00:00", 1, WD, eod("03/03/2026"), ()),
    # 09:00 at UTC−5 is 21:00 VN on Mon 02/03; 1 working day = Tue 03/03.
    Case("tz-minus5", "2026-03-02T09:00:00-05:00", 1, WD, eod("03/03/2026"), ()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compute_due(case: Case) -> None:
    received = datetime.fromisoformat(case.received) if isinstance(case.received, str) else case.received
    result = compute_due(received, case.amount, case.unit, case.calendar)

    assert result.due_at == case.due
    assert result.due_at.tzinfo is VN_TZ
    assert result.start == to_vn(received)
    assert result.unit is case.unit
    if case.skipped is not None:
        assert tuple(s.date for s in result.skipped_days) == tuple(d(s) for s in case.skipped)
    assert result.moved_from == (d(case.moved_from) if case.moved_from else None)
    assert result.steps[-1]["code"] in ("due_time", "due_end_of_day")
    assert render_step(result.steps[-1]).startswith("Hạn chót:")


# Public holidays as given by the package, checked by hand against the announced schedules
# for civil servants (Labour Code 2019 Art. 112 and the yearly Prime Minister approvals).
HOLIDAY_CASES = [
    # Tết 2018: 14/02 (29 Tết) – 20/02 (mùng 5).
    (2018, ["14/02", "15/02", "16/02", "19/02", "20/02"], ["17/02", "18/02"]),
    # Tết 2024: 08/02 – 14/02 (Sat 10/02 is mùng 1; the weekend is covered by Mon–Wed).
    (2024, ["08/02", "09/02", "12/02", "13/02", "14/02"], ["10/02", "11/02"]),
    # Tết 2025: Mon 27/01 – Fri 31/01 (Sat 25/01 – Sun 02/02 with weekends).
    (2025, ["27/01", "28/01", "29/01", "30/01", "31/01"], []),
    # Tết 2026: Mon 16/02 – Fri 20/02 (Sat 14/02 – Sun 22/02 with weekends).
    (2026, ["16/02", "17/02", "18/02", "19/02", "20/02"], []),
    # 30/4–1/5: 2026 Thu/Fri, plus Giỗ Tổ Sun 26/04 → Mon 27/04.
    (2026, ["27/04", "30/04", "01/05"], ["26/04"]),
    # 2/9 from 2021 carries a second day (1/9 or 3/9): 2021 Thu 2 + Fri 3; 2022 Thu 1 + Fri 2;
    # 2024 Mon 2 + Tue 3; 2025 Mon 1 + Tue 2; 2026 Tue 1 + Wed 2 (+ Mon 31/08 swapped).
    (2021, ["02/09", "03/09"], []),
    (2022, ["01/09", "02/09"], []),
    (2024, ["02/09", "03/09"], []),
    (2025, ["01/09", "02/09"], []),
    (2026, ["31/08", "01/09", "02/09"], []),
    # 2/9/2020 was a single day (Labour Code 2012).
    (2020, ["02/09"], []),
]


@pytest.mark.parametrize(("year", "weekdays_off", "weekend_holidays"), HOLIDAY_CASES)
def test_public_holidays_match_official_schedule(
    year: int, weekdays_off: list[str], weekend_holidays: list[str]
) -> None:
    listed = public_holidays(year)
    for day in weekdays_off + weekend_holidays:
        assert d(f"{day}/{year}") in listed, day
    for day in weekdays_off:
        assert not REAL.is_working_day(d(f"{day}/{year}")), day


def test_sep_2020_has_no_second_day() -> None:
    assert d("01/09/2020") not in public_holidays(2020)
    assert d("03/09/2020") not in public_holidays(2020)


def test_holiday_names_are_vietnamese() -> None:
    assert REAL.day_off_name(d("17/02/2026")) == "Tết Nguyên Đán"
    assert REAL.day_off_name(d("30/04/2026")) == "Ngày Chiến thắng"
    assert REAL.day_off_name(d("07/03/2026")) == "Thứ Bảy"
    assert REAL.day_off_name(d("08/03/2026")) == "Chủ nhật"
    assert REAL.day_off_name(d("09/03/2026")) is None
    assert ADMIN.day_off_name(d("09/03/2026")) == "Nghỉ theo quyết định của UBND tỉnh"
    assert ADMIN.day_off_name(d("14/03/2026")) is None
    assert REAL.day_off_name(d("22/08/2026")) is None  # package make-up Saturday
    assert REAL.makeup_name(d("22/08/2026")) == "Ngày làm bù cho ngày nghỉ 31/08/2026"


def test_every_year_2017_2040_has_tet_and_national_day() -> None:
    for year in range(2017, 2041):
        names = set(public_holidays(year).values())
        assert {"Tết Nguyên Đán", "Quốc khánh", "Ngày Chiến thắng"} <= names, year


def test_admin_can_cancel_a_package_makeup_day() -> None:
    cal = WorkCalendar(extra_days_off={d("22/08/2026"): "Không làm bù"})
    assert not cal.is_working_day(d("22/08/2026"))
    assert cal.day_off_name(d("22/08/2026")) == "Không làm bù"


def test_admin_makeup_day_overrides_everything() -> None:
    cal = WorkCalendar(
        extra_days_off={d("30/04/2026"): "x"}, makeup_working_days={d("30/04/2026"): "Trực lễ"}
    )
    assert cal.is_working_day(d("30/04/2026"))


def test_days_off_in_and_next_working_day() -> None:
    assert REAL.days_off_in(d("29/04/2026"), d("04/05/2026")) == [
        (d("30/04/2026"), "Ngày Chiến thắng"),
        (d("01/05/2026"), "Ngày Quốc tế Lao động"),
        (d("02/05/2026"), "Thứ Bảy"),
        (d("03/05/2026"), "Chủ nhật"),
    ]
    assert REAL.next_working_day(d("29/04/2026")) == d("04/05/2026")
    assert REAL.next_working_day(d("28/04/2026")) == d("29/04/2026")


def test_add_working_days() -> None:
    # 3 working days before Wed 06/05/2026: Tue 05 = 1, Mon 04 = 2; 3, 2 weekend, 1, 30 off; Wed 29/04 = 3.
    assert add_working_days(d("06/05/2026"), -3, REAL) == d("29/04/2026")
    # 1 working day before Mon 04/05/2026 → Wed 29/04.
    assert add_working_days(d("04/05/2026"), -1, REAL) == d("29/04/2026")
    assert add_working_days(d("24/04/2026"), 5, REAL) == d("06/05/2026")
    assert add_working_days(d("07/03/2026"), 0, REAL) == d("07/03/2026")


def test_to_vn() -> None:
    assert to_vn(datetime(2026, 3, 2, 9, 0)) == datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)
    assert to_vn(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)).hour == 9
    assert to_vn(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)).tzinfo is VN_TZ
    plus9 = datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=9)))
    assert to_vn(plus9) == datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)
    ny = datetime(2026, 3, 1, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    assert to_vn(ny) == datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_amount_below_one_is_rejected(unit: TimeUnit) -> None:
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 3, 2, 9, 0), 0, unit, REAL)


def test_unit_accepts_string() -> None:
    assert compute_due(datetime(2026, 3, 2, 9, 0), 1, "working_days", REAL).unit is WD


def test_explanation_steps() -> None:
    result = compute_due(datetime(2026, 4, 28, 9, 15), 4, CD, REAL)
    assert result.steps[1:5] == (
        {"code": "days_start", "first": "2026-04-29"},
        {"code": "calendar_days", "n": 4, "last": "2026-05-02"},
        {"code": "skip", "day": "2026-05-02", "name": "Thứ Bảy"},
        {"code": "skip", "day": "2026-05-03", "name": "Chủ nhật"},
    )
    assert tuple(render_steps(result.steps)) == (
        "Nhận ngày 28/04/2026 lúc 09:15 (giờ Việt Nam).",
        "Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ 29/04/2026 (BLDS 2015, Điều 147).",
        "Tính 4 ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là 02/05/2026.",
        "Bỏ qua 02/05/2026 — Thứ Bảy.",
        "Bỏ qua 03/05/2026 — Chủ nhật.",
        "Ngày cuối cùng 02/05/2026 là ngày nghỉ; thời hạn kết thúc vào cuối ngày làm việc "
        "tiếp theo 04/05/2026 (BLDS 2015, Điều 148).",
        "Hạn chót: 23:59:59 ngày 04/05/2026.",
    )


# --- the rulebook switch on 01/07/2026 -------------------------------------------------------
BOOKS = load_seed_rulebooks()

SWITCH_CASES = [
    # 30/06/2026 23:30 VN → old book: 30 calendar days; 30/06 + 30 = Thu 30/07, a working day.
    ("old-book", datetime(2026, 6, 30, 23, 30), "qd1430-2017", eod("30/07/2026")),
    # 01/07/2026 00:10 VN → new book: 15 working days from Thu 02/07:
    # 2,3 (1–2); 6–10 (3–7); 13–17 (8–12); Mon 20 = 13, Tue 21 = 14, Wed 22/07 = 15.
    ("new-book", datetime(2026, 7, 1, 0, 10), "lbc2025-nd237", eod("22/07/2026")),
    # Same instant given in UTC (30/06 17:10 UTC): still the new book, same due date.
    ("new-book-utc", datetime(2026, 6, 30, 17, 10, tzinfo=UTC), "lbc2025-nd237", eod("22/07/2026")),
]


@pytest.mark.parametrize(
    ("received", "code", "due"), [c[1:] for c in SWITCH_CASES], ids=[c[0] for c in SWITCH_CASES]
)
def test_rulebook_switch_forwarded_feedback(received: datetime, code: str, due: datetime) -> None:
    book = select_rulebook(BOOKS, received)
    assert book.code == code
    result = evaluate(book, "forwarded_feedback", received, REAL)
    assert result.due_at == due
    assert result.steps[1]["code"] == "rule" and result.steps[1]["book"] == book.name
