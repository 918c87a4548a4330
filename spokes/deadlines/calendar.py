"""The Vietnamese working calendar: public holidays, extra days off and make-up working days.

Pure code: no Flask, no database. Admin-entered days come in as arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

WEEKEND_NAMES = {5: "Thứ Bảy", 6: "Chủ nhật"}
MAKEUP_DAY_NAME = "Ngày làm bù"
CANCELLED_DAY_OFF_NAME = "Không nghỉ (hủy ngày nghỉ)"
ESTIMATED_LABEL = "dự kiến"

# A calendar where every day is off would make the search loop forever; ten years of
# consecutive days off can only be a data-entry mistake.
_MAX_SEARCH_DAYS = 3660

HolidayProvider = Callable[[int], Mapping[date, str]]


def to_vn(dt: datetime) -> datetime:
    """Return dt as an aware datetime in Vietnamese time; read a naive dt as Vietnamese time."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=VN_TZ)
    return dt.astimezone(VN_TZ)


def _package_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> Mapping[date, str]:
    """Return Vietnam's public holidays of one year, with Vietnamese names.

    Includes the lunar Tết block, the observed days (nghỉ bù) and the substituted bridge
    days the `holidays` package lists. The result is cached, so it is read-only.
    """
    return MappingProxyType({d: n for d, n in _package_holidays(year).items() if d.year == year})


@functools.lru_cache(maxsize=64)
def public_makeup_working_days(year: int) -> Mapping[date, str]:
    """Return the weekend days of one year worked in exchange for a bridge day off.

    The `holidays` package lists the bridge day as a holiday ("Ngày nghỉ (thay cho ngày
    dd/mm/yyyy)") and the Saturday given in exchange as a weekend workday; honouring one
    half of the swap without the other would shift every period across it by a day.
    """
    workdays = sorted(d for d in _package_holidays(year).weekend_workdays if d.year == year)
    # The bridge day may fall in the neighbouring year (31/12/2018 for Saturday 05/01/2019).
    labels = {
        d: name
        for y in (year - 1, year, year + 1)
        for d, name in public_holidays(y).items()
    }
    result: dict[date, str] = {}
    for workday in workdays:
        token = workday.strftime("%d/%m/%Y")
        bridge = next((d for d, name in sorted(labels.items()) if token in name), None)
        result[workday] = (
            f"{MAKEUP_DAY_NAME} cho ngày nghỉ {bridge:%d/%m/%Y}" if bridge else MAKEUP_DAY_NAME
        )
    return MappingProxyType(result)


def _no_days(year: int) -> Mapping[date, str]:
    return MappingProxyType({})


def _frozen(mapping: Mapping[date, str]) -> Mapping[date, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days for a public body in Vietnam.

    Precedence, strongest first: make-up working days, extra days off, cancelled days off
    (a weekday the package wrongly assumed off), the package's make-up Saturdays, public
    holidays, then the Monday–Friday week. Official swaps and admin entries win over package
    data so they can correct the package.

    ``announced_years`` are the years whose official schedule is known; a date in any other
    year depends on the package's estimate (dự kiến). None means "not tracked": no year is
    flagged, as for a calendar built in a test from a provider alone.
    """

    extra_days_off: Mapping[date, str] = field(default_factory=dict)
    makeup_working_days: Mapping[date, str] = field(default_factory=dict)
    holiday_provider: HolidayProvider = public_holidays
    makeup_provider: HolidayProvider = public_makeup_working_days
    cancelled_days_off: Mapping[date, str] = field(default_factory=dict)
    announced_years: frozenset[int] | None = None
    # Extra words after a holiday's name, e.g. "(chưa kiểm chứng)" for a doubtful package day.
    day_notes: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Copy into read-only views so a caller mutating its dict cannot change a frozen calendar.
        object.__setattr__(self, "extra_days_off", _frozen(self.extra_days_off))
        object.__setattr__(self, "makeup_working_days", _frozen(self.makeup_working_days))
        object.__setattr__(self, "cancelled_days_off", _frozen(self.cancelled_days_off))
        object.__setattr__(self, "day_notes", _frozen(self.day_notes))
        if self.announced_years is not None:
            object.__setattr__(self, "announced_years", frozenset(self.announced_years))

    def __hash__(self) -> int:
        return hash(
            (
                frozenset(self.extra_days_off.items()),
                frozenset(self.makeup_working_days.items()),
                frozenset(self.cancelled_days_off.items()),
                frozenset(self.day_notes.items()),
                self.announced_years,
                self.holiday_provider,
                self.makeup_provider,
            )
        )

    def is_estimated(self, year: int) -> bool:
        """Return True if the days off of year are the package's estimate, not an announced schedule."""
        return self.announced_years is not None and year not in self.announced_years

    def estimated_years_in(self, start: date, end: date) -> tuple[int, ...]:
        """Return the estimated years between start and end, both included."""
        return tuple(y for y in range(start.year, end.year + 1) if self.is_estimated(y))

    def cancelled_name(self, d: date) -> str | None:
        """Return why a day the package assumed off is worked after all, or None."""
        if d in self.cancelled_days_off and d not in self.extra_days_off:
            return self.cancelled_days_off[d] or CANCELLED_DAY_OFF_NAME
        return None

    @classmethod
    def holidays_only(cls, holiday_provider: HolidayProvider) -> WorkCalendar:
        """Build a calendar from a holiday provider alone, with no package make-up days."""
        return cls(holiday_provider=holiday_provider, makeup_provider=_no_days)

    def makeup_name(self, d: date) -> str | None:
        """Return the name of the make-up working day d (ngày làm bù), or None if it is not one."""
        if d in self.makeup_working_days:
            return self.makeup_working_days[d] or MAKEUP_DAY_NAME
        if d in self.extra_days_off:
            return None
        return self.makeup_provider(d.year).get(d)

    def day_off_name(self, d: date) -> str | None:
        """Return why d is not a working day (holiday, admin reason or weekday name), or None."""
        if d in self.makeup_working_days:
            return None
        if d in self.extra_days_off:
            return self.extra_days_off[d] or "Ngày nghỉ"
        if d in self.cancelled_days_off and d.weekday() < 5:
            return None
        if d in self.makeup_provider(d.year):
            return None
        holiday = self.holiday_provider(d.year).get(d)
        if holiday is not None:
            note = self.day_notes.get(d)
            return f"{holiday} {note}" if note else holiday
        return WEEKEND_NAMES.get(d.weekday())

    def is_working_day(self, d: date) -> bool:
        """Return True if public offices work on d."""
        return self.day_off_name(d) is None

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after d."""
        return self.shift_working_day(d, +1)

    def previous_working_day(self, d: date) -> date:
        """Return the last working day strictly before d."""
        return self.shift_working_day(d, -1)

    def shift_working_day(self, d: date, step: int) -> date:
        """Return the nearest working day strictly after (step=+1) or before (step=-1) d."""
        if step not in (1, -1):
            raise ValueError("step must be +1 or -1")
        current = d
        for _ in range(_MAX_SEARCH_DAYS):
            current += timedelta(days=step)
            if self.is_working_day(current):
                return current
        raise ValueError(f"Không có ngày làm việc nào trong {_MAX_SEARCH_DAYS} ngày quanh {d:%d/%m/%Y}.")

    def days_off_in(self, start: date, end: date) -> list[tuple[date, str]]:
        """List the non-working days from start to end, both included, with their names."""
        result: list[tuple[date, str]] = []
        current = start
        while current <= end:
            name = self.day_off_name(current)
            if name is not None:
                result.append((current, name))
            current += timedelta(days=1)
        return result
