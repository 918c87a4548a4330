"""Properties of deadline arithmetic over the real calendar, for receipts 2017–2030."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from spokes.deadlines.calendar import VN_TZ, WorkCalendar, to_vn
from spokes.deadlines.engine import TimeUnit, add_working_days, compute_due
from spokes.deadlines.rulebook import REQUEST_TYPES, evaluate, load_seed_rulebooks, select_rulebook

CAL = WorkCalendar()
BOOKS = load_seed_rulebooks()
PROPS = settings(max_examples=300, deadline=None)

naive_vn = st.datetimes(min_value=datetime(2017, 7, 5), max_value=datetime(2030, 12, 31, 23, 59, 59))
zones = st.sampled_from(
    [VN_TZ, UTC, ZoneInfo("America/New_York"), ZoneInfo("Europe/Paris"), timezone(timedelta(hours=-11))]
)
# Any instant whose Vietnamese date is in range, given naive (read as VN) or in another zone.
received_at = st.one_of(naive_vn, st.builds(lambda dt, tz: to_vn(dt).astimezone(tz), naive_vn, zones))
day_units = st.sampled_from([TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS])
units = st.sampled_from(list(TimeUnit))
amounts = st.integers(min_value=1, max_value=60)


@PROPS
@given(received_at, amounts)
def test_working_day_due_is_a_working_day(received: datetime, n: int) -> None:
    result = compute_due(received, n, TimeUnit.WORKING_DAYS, CAL)
    assert CAL.is_working_day(result.due_date)
    # Exactly n working days lie after the day of receipt, up to and including the due date.
    day = to_vn(received).date()
    span = (result.due_date - day).days
    worked = sum(CAL.is_working_day(day + timedelta(days=i)) for i in range(1, span + 1))
    assert worked == n
    assert add_working_days(day, n, CAL) == result.due_date
    assert all(not CAL.is_working_day(s.date) for s in result.skipped_days)
    assert len(result.skipped_days) == span - n


@PROPS
@given(received_at, amounts)
def test_calendar_day_due_is_a_working_day(received: datetime, n: int) -> None:
    result = compute_due(received, n, TimeUnit.CALENDAR_DAYS, CAL)
    nominal = to_vn(received).date() + timedelta(days=n)
    assert CAL.is_working_day(result.due_date)
    assert result.due_date >= nominal
    # Moved only when the nominal last day is off, and then to the first working day after it.
    if CAL.is_working_day(nominal):
        assert result.due_date == nominal and result.moved_from is None
    else:
        assert result.moved_from == nominal
        assert result.due_date == CAL.next_working_day(nominal)


@PROPS
@given(received_at, received_at, amounts, units)
def test_due_never_decreases_with_received_time(a: datetime, b: datetime, n: int, unit: TimeUnit) -> None:
    early, late = sorted((a, b), key=to_vn)
    assert compute_due(early, n, unit, CAL).due_at <= compute_due(late, n, unit, CAL).due_at


@PROPS
@given(received_at, received_at, st.sampled_from(REQUEST_TYPES))
def test_due_never_decreases_within_one_rulebook(a: datetime, b: datetime, request_type: str) -> None:
    early, late = sorted((a, b), key=to_vn)
    book = select_rulebook(BOOKS, early)
    if select_rulebook(BOOKS, late) != book:
        return  # a rulebook change may legitimately shorten a period
    assert evaluate(book, request_type, early, CAL).due_at <= evaluate(book, request_type, late, CAL).due_at


@PROPS
@given(received_at, amounts, units)
def test_one_more_unit_never_ends_earlier(received: datetime, n: int, unit: TimeUnit) -> None:
    assert compute_due(received, n, unit, CAL).due_at <= compute_due(received, n + 1, unit, CAL).due_at


@PROPS
@given(received_at, amounts, units)
def test_due_is_after_receipt_and_in_vietnamese_time(received: datetime, n: int, unit: TimeUnit) -> None:
    result = compute_due(received, n, unit, CAL)
    assert result.due_at > to_vn(received)
    assert result.due_at.tzinfo is VN_TZ
    assert result.start.tzinfo is VN_TZ
    assert result.due_at.utcoffset() == timedelta(hours=7)
    if unit is not TimeUnit.HOURS:
        assert (result.due_at.hour, result.due_at.minute, result.due_at.second) == (23, 59, 59)
        assert result.due_at.microsecond == 0
        assert result.due_date > result.start.date()


@PROPS
@given(received_at, st.integers(min_value=1, max_value=30), day_units)
def test_skipped_days_are_between_receipt_and_due(received: datetime, n: int, unit: TimeUnit) -> None:
    result = compute_due(received, n, unit, CAL)
    day = to_vn(received).date()
    for skipped in result.skipped_days:
        assert day < skipped.date < result.due_date
        assert skipped.name == CAL.day_off_name(skipped.date)
