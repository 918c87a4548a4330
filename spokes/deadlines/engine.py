"""Deadline arithmetic under Bộ luật Dân sự 2015, Điều 147–148 (RULES.md §Counting).

Pure code: everything comes in as arguments, and every result explains itself as data: a list of
steps ({"code": ..., facts}) that ``spokes.deadlines.explain`` turns into sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from spokes.deadlines.calendar import VN_TZ, WorkCalendar, to_vn

END_OF_DAY = time(23, 59, 59)


class TimeUnit(StrEnum):
    """The unit a deadline is counted in."""

    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese name of the unit, as used after a number."""
        return {"hours": "giờ", "calendar_days": "ngày", "working_days": "ngày làm việc"}[self.value]


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day that a deadline was moved across, with its name."""

    date: date
    name: str


@dataclass(frozen=True)
class DeadlineResult:
    """A computed deadline and the steps that explain it."""

    start: datetime
    due_at: datetime
    amount: int
    unit: TimeUnit
    skipped_days: tuple[SkippedDay, ...]
    moved_from: date | None
    steps: tuple[dict[str, Any], ...]
    # Years in the counting window whose days off are the package's estimate (dự kiến).
    estimated_years: tuple[int, ...] = ()

    @property
    def estimated(self) -> bool:
        """Return True if the deadline depends on a year whose schedule is not yet announced."""
        return bool(self.estimated_years)

    @property
    def due_date(self) -> date:
        """Return the Vietnamese calendar date of the deadline."""
        return self.due_at.date()


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=VN_TZ)


def _skip_line(day: SkippedDay) -> dict[str, Any]:
    return {"code": "skip", "day": day.date.isoformat(), "name": day.name}


def compute_due(
    received_at: datetime, amount: int, unit: TimeUnit | str, calendar: WorkCalendar
) -> DeadlineResult:
    """Compute when a period of `amount` units that starts at `received_at` ends.

    Hours run on the clock, through nights and holidays. Day periods skip the day of
    receipt and end at 23:59:59 Vietnamese time on their last day; a calendar-day period
    whose last day is off moves to the next working day, and a working-day period counts
    working days only. Raise ValueError if amount < 1.
    """
    unit = TimeUnit(unit)
    if amount < 1:
        raise ValueError(f"amount must be at least 1, got {amount}")
    start = to_vn(received_at)
    received = start.date()
    steps: list[dict[str, Any]] = [{"code": "received", "at": start.isoformat()}]

    if unit is TimeUnit.HOURS:
        # Add in UTC so the clock arithmetic stays exact whatever the zone rules are.
        due_at = (start.astimezone(UTC) + timedelta(hours=amount)).astimezone(VN_TZ)
        steps.append({"code": "hours", "n": amount})
        steps.append({"code": "due_time", "at": due_at.isoformat()})
        return DeadlineResult(start, due_at, amount, unit, (), None, tuple(steps))

    first = received + timedelta(days=1)
    steps.append({"code": "days_start", "first": first.isoformat()})
    received_off = calendar.day_off_name(received)
    if received_off is not None:
        steps.append({"code": "received_off", "day": received.isoformat(), "name": received_off})

    skipped: list[SkippedDay] = []
    moved_from: date | None = None
    if unit is TimeUnit.CALENDAR_DAYS:
        last = received + timedelta(days=amount)
        steps.append({"code": "calendar_days", "n": amount, "last": last.isoformat()})
        if not calendar.is_working_day(last):
            moved_from = last
            last = calendar.next_working_day(last)
            days_off = calendar.days_off_in(moved_from, last - timedelta(days=1))
            skipped = [SkippedDay(d, name) for d, name in days_off]
            steps.extend(_skip_line(day) for day in skipped)
            steps.append({"code": "moved", "from": moved_from.isoformat(), "to": last.isoformat()})
    else:
        steps.append({"code": "working_days"})
        last = received
        for _ in range(amount):
            nxt = calendar.next_working_day(last)
            for d, name in calendar.days_off_in(last + timedelta(days=1), nxt - timedelta(days=1)):
                skipped.append(SkippedDay(d, name))
                steps.append(_skip_line(skipped[-1]))
            makeup = calendar.makeup_name(nxt) or calendar.cancelled_name(nxt)
            if makeup is not None:
                steps.append({"code": "makeup", "day": nxt.isoformat(), "name": makeup})
            last = nxt
        steps.append({"code": "working_day_n", "n": amount, "day": last.isoformat()})

    due_at = _end_of_day(last)
    estimated = calendar.estimated_years_in(received, last)
    if estimated:
        steps.append({"code": "estimated", "years": list(estimated)})
    steps.append({"code": "due_end_of_day", "day": last.isoformat()})
    return DeadlineResult(start, due_at, amount, unit, tuple(skipped), moved_from, tuple(steps), estimated)


def add_working_days(start: date, n: int, calendar: WorkCalendar) -> date:
    """Return the n-th working day after start, or before it when n is negative.

    The start day itself is never counted, whether or not it is a working day:
    "3 working days before the due date" is add_working_days(due_date, -3, cal), and
    add_working_days(received_date, 5, cal) is the last day of a 5-working-day period.
    n == 0 returns start unchanged.
    """
    step = 1 if n > 0 else -1
    current = start
    for _ in range(abs(n)):
        current = calendar.shift_working_day(current, step)
    return current
