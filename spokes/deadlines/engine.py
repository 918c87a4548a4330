"""Deadline arithmetic under Bộ luật Dân sự 2015, Điều 147–148 (RULES.md §Counting).

Pure code: everything comes in as arguments, and every result explains itself in Vietnamese.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from spokes.deadlines.calendar import ESTIMATED_LABEL, VN_TZ, WorkCalendar, to_vn

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
    steps: tuple[str, ...]
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


def _d(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=VN_TZ)


def _skip_line(day: SkippedDay) -> str:
    return f"Bỏ qua {_d(day.date)} — {day.name}."


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
    steps = [f"Nhận ngày {_d(received)} lúc {start:%H:%M} (giờ Việt Nam)."]

    if unit is TimeUnit.HOURS:
        # Add in UTC so the clock arithmetic stays exact whatever the zone rules are.
        due_at = (start.astimezone(UTC) + timedelta(hours=amount)).astimezone(VN_TZ)
        steps.append(
            f"Thời hạn {amount} giờ tính liên tục từ thời điểm nhận, kể cả ban đêm và ngày nghỉ "
            "(BLDS 2015, Điều 147)."
        )
        steps.append(f"Hạn chót: {due_at:%H:%M} ngày {_d(due_at.date())}.")
        return DeadlineResult(start, due_at, amount, unit, (), None, tuple(steps))

    first = received + timedelta(days=1)
    steps.append(
        f"Thời hạn tính theo ngày: không tính ngày nhận, bắt đầu từ {_d(first)} "
        "(BLDS 2015, Điều 147)."
    )
    received_off = calendar.day_off_name(received)
    if received_off is not None:
        steps.append(
            f"Ngày nhận {_d(received)} là ngày nghỉ ({received_off}); "
            "thời hạn vẫn bắt đầu từ ngày tiếp theo."
        )

    skipped: list[SkippedDay] = []
    moved_from: date | None = None
    if unit is TimeUnit.CALENDAR_DAYS:
        last = received + timedelta(days=amount)
        steps.append(f"Tính {amount} ngày theo lịch, kể cả ngày nghỉ: ngày cuối cùng là {_d(last)}.")
        if not calendar.is_working_day(last):
            moved_from = last
            last = calendar.next_working_day(last)
            days_off = calendar.days_off_in(moved_from, last - timedelta(days=1))
            skipped = [SkippedDay(d, name) for d, name in days_off]
            steps.extend(_skip_line(day) for day in skipped)
            steps.append(
                f"Ngày cuối cùng {_d(moved_from)} là ngày nghỉ; thời hạn kết thúc vào cuối ngày "
                f"làm việc tiếp theo {_d(last)} (BLDS 2015, Điều 148)."
            )
    else:
        steps.append("Chỉ tính ngày làm việc: bỏ qua thứ Bảy, Chủ nhật và ngày nghỉ; tính cả ngày làm bù.")
        last = received
        for _ in range(amount):
            nxt = calendar.next_working_day(last)
            for d, name in calendar.days_off_in(last + timedelta(days=1), nxt - timedelta(days=1)):
                skipped.append(SkippedDay(d, name))
                steps.append(_skip_line(skipped[-1]))
            makeup = calendar.makeup_name(nxt) or calendar.cancelled_name(nxt)
            if makeup is not None:
                steps.append(f"Tính {_d(nxt)} là ngày làm việc — {makeup}.")
            last = nxt
        steps.append(f"Ngày làm việc thứ {amount} là {_d(last)}.")

    due_at = _end_of_day(last)
    estimated = calendar.estimated_years_in(received, last)
    if estimated:
        years = ", ".join(str(y) for y in estimated)
        steps.append(
            f"Lịch nghỉ năm {years} chưa được công bố chính thức: ngày nghỉ là {ESTIMATED_LABEL} "
            "(theo thư viện holidays), hạn chót có thể thay đổi."
        )
    steps.append(f"Hạn chót: 23:59:59 ngày {_d(last)}.")
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
