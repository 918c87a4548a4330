"""Report figures for a scope of units over a period, aggregated in SQL.

Every figure about requests counts the requests RECEIVED in the period (by ``received_at``
read as a Vietnamese date), attributed to the unit that holds them now (a transferred
request counts at the unit it was transferred to). Three figures are the exception, and
say so: "transferred" counts transfers MADE in the period out of a unit in scope,
"published" counts publications published in the period, and directory compliance is the
state of the directory on the day the report is made.

The same SQL conditions build the figures and the drill-down lists (``requests_for``),
so a list always holds exactly the requests its number counts. Whole months are read from
the running totals (``spokes.reports.models``, kept by ``spokes.reports.totals``), which
count the same rows: tests hold the two equal.

Cost: ``build_report`` runs a fixed number of queries whatever the size of the scope
(no per-unit query): see ``QUERY_COUNT``. It reads the units of the scope first, then picks
the rows of exactly those units through indexes that start with the unit, so a province's
report reads the province's rows even when the database holds the whole country.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, and_, cast, false, func, literal, null, or_, select, text, true, tuple_, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import scope_paths
from spokes.core.clock import now
from spokes.core.errors import DomainError, NotAllowed
from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.models import RefusalGround, Rulebook
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest, RequestState, RequestType, Transfer
from spokes.publishing.models import Publication
from spokes.reports.models import (
    CHANNEL_COLUMNS,
    COUNT_COLUMNS,
    OUTCOME_COLUMNS,
    ReportAnswerDays,
    ReportTotal,
    ReportUnitMonth,
)
from spokes.reports.totals import as_date, count_columns, count_if, ground_key, outcome_conditions, vn_date, working_days
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.services import current_designation_filter

# A report over more than five years is almost certainly a typo (2206 for 2026) and would
# only make the database work for nothing.
MAX_SPAN_DAYS = 5 * 366
# Years a report may cover: wide, but keeps the date arithmetic far from datetime's limits.
MIN_YEAR, MAX_YEAR = 2000, 2100

# The queries build_report runs, whatever the number of units or requests (tests hold it).
QUERY_COUNT = 5


class ReportInputError(DomainError):
    """The period or the unit asked for cannot make a report (shown with HTTP 400)."""

    status = 400


# --------------------------------------------------------------------------- SQL helpers


def day_start(day: date) -> datetime:
    """Return the UTC moment at which a Vietnamese calendar day begins."""
    return datetime.combine(day, time(0, 0), tzinfo=VN_TZ).astimezone(UTC)


# --------------------------------------------------------------------------- period and scope


@dataclass(frozen=True)
class Period:
    """A report period: Vietnamese calendar dates, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """Return the first moment of the period (UTC)."""
        return day_start(self.start)

    @property
    def end_before(self) -> datetime:
        """Return the first moment after the period (UTC); the period is [start_at, end_before)."""
        return day_start(self.end + timedelta(days=1))

    def months(self) -> list[str]:
        """Return the months the period touches, as "YYYY-MM"."""
        months = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def month_bounds(self, month: str) -> tuple[date, date]:
        """Return the part of a month ("YYYY-MM") that lies in the period, as (first, last) dates."""
        year, number = (int(x) for x in month.split("-"))
        first = date(year, number, 1)
        last = (date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)) - timedelta(days=1)
        return max(first, self.start), min(last, self.end)


def make_period(start: date | None, end: date | None, *, today: date) -> Period:
    """Return a checked period; default to the current calendar year (Vietnamese time).

    A missing start is 1 January of the end's year; a missing end is 31 December of the
    start's year. Raise ReportInputError when the start is after the end, a year lies outside
    MIN_YEAR–MAX_YEAR, or the span exceeds five years.
    """
    if start is None:
        start = date(end.year if end else today.year, 1, 1)
    if end is None:
        end = date(start.year, 12, 31)
    if not (MIN_YEAR <= start.year <= MAX_YEAR and MIN_YEAR <= end.year <= MAX_YEAR):
        raise ReportInputError(_("Năm báo cáo phải từ %(low)d đến %(high)d.", low=MIN_YEAR, high=MAX_YEAR))
    if start > end:
        raise ReportInputError(_("Ngày bắt đầu phải trước hoặc trùng ngày kết thúc."))
    if (end - start).days + 1 > MAX_SPAN_DAYS:
        raise ReportInputError(_("Kỳ báo cáo dài tối đa 5 năm."))
    return Period(start, end)


@dataclass(frozen=True)
class ReportScope:
    """The units a report covers: single units by id, and whole subtrees by path prefix.

    ``unit`` is the unit the report is made for (its name heads the exports), when there is one.
    """

    unit_ids: tuple[int, ...] = ()
    prefixes: tuple[str, ...] = ()
    unit: Unit | None = None

    @property
    def subtree(self) -> bool:
        """Return whether the scope is the subtree of its unit (rather than the unit alone)."""
        return self.unit is not None and self.prefixes == (self.unit.path,)

    def condition(self, unit: Any = Unit) -> ColumnElement[bool]:
        """Return the SQL condition "this unit row is in scope" (for a Unit table or alias)."""
        parts: list[ColumnElement[bool]] = []
        if self.unit_ids:
            parts.append(unit.id.in_(self.unit_ids))
        parts.extend(unit.path.startswith(prefix, autoescape=True) for prefix in self.prefixes)
        return or_(*parts) if parts else false()

    @classmethod
    def of_unit(cls, unit: Unit, *, subtree: bool = True) -> ReportScope:
        """Return the scope of one unit, with or without its subtree."""
        return cls(prefixes=(unit.path,), unit=unit) if subtree else cls(unit_ids=(unit.id,), unit=unit)


def scope_for(user: Any, unit: Unit | None = None, *, subtree: bool | None = None) -> ReportScope:
    """Return the report scope of a user, optionally narrowed to one unit.

    Heads report on their own unit; overseers and admins on their subtree. A unit outside
    the user's reach raises NotAllowed (403); so does ``subtree=True`` on a unit the user
    reaches only by itself (a head). ``subtree=None`` takes the subtree when the user may;
    without a unit, ``subtree`` is ignored and the scope is the user's whole reach.
    """
    ids, prefixes = scope_paths(user, Permission.VIEW_REPORTS)
    if not ids and not prefixes:
        raise NotAllowed(_("Bạn không có quyền xem báo cáo."))
    if unit is None:
        only = _single_unit(ids, prefixes)
        return ReportScope(unit_ids=tuple(ids), prefixes=tuple(prefixes), unit=only)
    reaches_subtree = any(unit.path.startswith(p) for p in prefixes)
    if subtree is None:
        subtree = reaches_subtree
    if subtree and not reaches_subtree:
        raise NotAllowed(_("Bạn chỉ được xem báo cáo của chính đơn vị này, không gồm các đơn vị trực thuộc."))
    if not subtree and not (reaches_subtree or unit.id in ids):
        raise NotAllowed(_("Đơn vị này nằm ngoài phạm vi bạn được xem báo cáo."))
    return ReportScope.of_unit(unit, subtree=subtree)


def _single_unit(ids: Sequence[int], prefixes: Sequence[str]) -> Unit | None:
    """Return the unit a one-entry scope is about (a head's unit, an overseer's root)."""
    if len(ids) + len(prefixes) != 1:
        return None
    if ids:
        return db.session.get(Unit, ids[0])
    return db.session.execute(select(Unit).where(Unit.path == prefixes[0])).scalar_one_or_none()


def units_in_scope(scope: ReportScope) -> list[Unit]:
    """Return the units of a scope, in tree order (for the unit filter)."""
    return list(db.session.execute(select(Unit).where(scope.condition()).order_by(Unit.path)).scalars())


# --------------------------------------------------------------------------- metric conditions

METRICS = ("received", "answered", "on_time", "late", "open", "overdue", "refused", "withdrawn", "transferred")

METRIC_LABELS = {
    "received": _l("Yêu cầu tiếp nhận trong kỳ"),
    "answered": _l("Đã trả lời"),
    "on_time": _l("Trả lời đúng hạn"),
    "late": _l("Trả lời quá hạn"),
    "open": _l("Đang xử lý"),
    "overdue": _l("Đang quá hạn"),
    "refused": _l("Từ chối cung cấp thông tin"),
    "withdrawn": _l("Phóng viên rút yêu cầu"),
    "transferred": _l("Chuyển đơn vị có thẩm quyền"),
}

_OPEN = [s.value for s in OPEN_STATES]


@dataclass(frozen=True)
class Bucket:
    """An overdue ageing bucket, in calendar days past the due date (``high`` None: no limit)."""

    code: str
    low: int
    high: int | None
    label: Any


# Days overdue = today's Vietnamese date minus the due date; a request past a due time
# earlier today (a 24-hour rule) counts as one day overdue.
AGEING_BUCKETS = (
    Bucket("1-5", 1, 5, _l("1–5 ngày")),
    Bucket("6-10", 6, 10, _l("6–10 ngày")),
    Bucket("11-30", 11, 30, _l("11–30 ngày")),
    Bucket("31+", 31, None, _l("Trên 30 ngày")),
)
BUCKETS = {b.code: b for b in AGEING_BUCKETS}


def metric_condition(metric: str, at: datetime) -> ColumnElement[bool]:
    """Return the SQL condition a received request meets to count in a metric (not "transferred")."""
    outcomes = outcome_conditions()
    conditions: dict[str, ColumnElement[bool]] = {
        **outcomes,
        "received": PressRequest.id.is_not(None),
        "answered": PressRequest.state == RequestState.ANSWERED.value,
        "overdue": and_(outcomes["open"], PressRequest.due_at < at),
    }
    return conditions[metric]


def bucket_condition(bucket: Bucket, at: datetime) -> ColumnElement[bool]:
    """Return the SQL condition for an overdue request in an ageing bucket."""
    return and_(metric_condition("overdue", at), *_bucket_due(bucket, at))


def _bucket_due(bucket: Bucket, at: datetime) -> list[ColumnElement[bool]]:
    """Return the due-time bounds of an ageing bucket (true of an overdue request in the bucket)."""
    today = at.astimezone(VN_TZ).date()
    parts = []
    if bucket.high is not None:
        parts.append(PressRequest.due_at >= day_start(today - timedelta(days=bucket.high)))
    if bucket.low > 1:
        parts.append(PressRequest.due_at < day_start(today - timedelta(days=bucket.low - 1)))
    return parts


def _received_in(period: Period) -> ColumnElement[bool]:
    return and_(PressRequest.received_at >= period.start_at, PressRequest.received_at < period.end_before)


def _transfers_in(scope: ReportScope, period: Period) -> Select[Any]:
    """Return a SELECT of the ids of requests transferred out of a unit in scope during the period."""
    return (
        select(Transfer.request_id)
        .join(Unit, Unit.id == Transfer.from_unit_id)
        .where(scope.condition(), Transfer.created_at >= period.start_at, Transfer.created_at < period.end_before)
    )


@dataclass(frozen=True)
class DrillFilter:
    """Which requests a drill-down list holds: a metric and optional narrowing."""

    metric: str = "received"
    type: str | None = None
    channel: str | None = None
    month: str | None = None  # "YYYY-MM", received in that month (within the period)
    ground_id: int | None = None  # refusal ground (with metric "refused")
    bucket: str | None = None  # ageing bucket code (with metric "overdue")


def requests_for(scope: ReportScope, period: Period, flt: DrillFilter, *, at: datetime | None = None) -> Select[Any]:
    """Return a SELECT of exactly the requests a figure counts, newest first.

    Built from the same conditions as ``build_report``, so the list and the number agree.
    """
    at = at or now()
    stmt = select(PressRequest)
    if flt.metric == "transferred":
        stmt = stmt.where(PressRequest.id.in_(_transfers_in(scope, period)))
    else:
        stmt = stmt.join(Unit, Unit.id == PressRequest.unit_id).where(
            scope.condition(), _received_in(period), metric_condition(flt.metric, at))
    if flt.type:
        stmt = stmt.where(PressRequest.type == flt.type)
    if flt.channel:
        stmt = stmt.where(PressRequest.channel == flt.channel)
    if flt.month:
        first, last = period.month_bounds(flt.month)
        stmt = stmt.where(PressRequest.received_at >= day_start(first),
                          PressRequest.received_at < day_start(last + timedelta(days=1)))
    if flt.ground_id is not None:
        stmt = stmt.where(PressRequest.refusal_ground_id == flt.ground_id)
    if flt.bucket:
        stmt = stmt.where(bucket_condition(BUCKETS[flt.bucket], at))
    return stmt.order_by(PressRequest.received_at.desc(), PressRequest.id.desc())


# --------------------------------------------------------------------------- working days


def working_day_counter(calendar: WorkCalendar, first: date, last: date) -> Any:
    """Return f(received, answered) counting the working days after ``received`` up to ``answered``.

    The day of receipt is not counted (BLDS 2015 Điều 147), so an answer on the same day
    takes 0 working days. An answer given on a weekend or a holiday counts the working days
    up to that date; the day off itself adds nothing. The non-working days between ``first``
    and ``last`` are computed once, then each pair costs two list look-ups.
    """
    span = max((last - first).days, 0) + 1
    cumulative = [0] * (span + 1)  # cumulative[i]: working days in [first, first + i)
    running = 0
    off = {d for d, _name in calendar.days_off_in(first, last)}
    for i in range(span):
        if first + timedelta(days=i) not in off:
            running += 1
        cumulative[i + 1] = running

    def count(received: date, answered: date) -> int:
        if answered <= received:
            return 0
        if received < first or answered > last:  # outside the precomputed span: count day by day
            off_days = len(calendar.days_off_in(received + timedelta(days=1), answered))
            return (answered - received).days - off_days
        # Working days in (received, answered] = W(answered) - W(received), W(d) = days in [first, d].
        return cumulative[(answered - first).days + 1] - cumulative[(received - first).days + 1]

    return count


def weighted_median(values: dict[int, int]) -> float | None:
    """Return the median of values given as {value: how many}; the mean of the two middles when even."""
    total = sum(values.values())
    if not total:
        return None
    ordered = sorted(values.items())

    def at_rank(rank: int) -> int:  # rank is 1-based
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= rank:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(at_rank(total // 2 + 1))
    return (at_rank(total // 2) + at_rank(total // 2 + 1)) / 2


def weighted_percentile(values: dict[int, int], pct: float) -> int | None:
    """Return the nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    total = sum(values.values())
    if not total:
        return None
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value, n in sorted(values.items()):
        seen += n
        if seen >= rank:
            return value
    return None  # unreachable: the ranks add up to total


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class CodeCount:
    """A count for a fixed code (a request type, a channel)."""

    code: str
    count: int


@dataclass(frozen=True)
class MonthRow:
    """Requests received in one month, by type."""

    month: str  # "YYYY-MM"
    by_type: dict[str, int]
    total: int

    @property
    def label(self) -> str:
        """Return the month as mm/yyyy."""
        return f"{self.month[5:7]}/{self.month[:4]}"


@dataclass(frozen=True)
class GroundRow:
    """Refusals on one legal ground."""

    ground_id: int
    code: str
    text: str
    rulebook: str
    count: int


@dataclass(frozen=True)
class BucketCount:
    """Overdue requests in one ageing bucket."""

    bucket: Bucket
    count: int


@dataclass(frozen=True)
class UnitRow:
    """One unit's figures, for the ranking by on-time rate."""

    unit_id: int
    code: str
    name: str
    received: int
    answered: int
    on_time: int
    late: int
    open: int
    overdue: int
    refused: int
    withdrawn: int

    @property
    def on_time_rate(self) -> float | None:
        """Return on-time answers / all answers (None when nothing was answered)."""
        return self.on_time / self.answered if self.answered else None


@dataclass(frozen=True)
class UnitRef:
    """A unit named in a list (directory compliance)."""

    unit_id: int
    code: str
    name: str


@dataclass
class Report:
    """Every figure of a report. Counts are about requests received in the period unless named otherwise."""

    scope: ReportScope
    period: Period
    generated_at: datetime
    received: int = 0
    by_type: list[CodeCount] = field(default_factory=list)
    by_channel: list[CodeCount] = field(default_factory=list)
    monthly: list[MonthRow] = field(default_factory=list)
    answered: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    ageing: list[BucketCount] = field(default_factory=list)
    refused: int = 0
    refused_by_ground: list[GroundRow] = field(default_factory=list)
    withdrawn: int = 0
    transferred: int = 0  # transfers made in the period out of a unit in scope
    answer_days_median: float | None = None  # working days, see working_day_counter
    answer_days_p90: int | None = None
    answer_days: dict[int, int] = field(default_factory=dict)  # working days -> answers
    published: int = 0  # publications published in the period and not withdrawn
    units_without_spokesperson: list[UnitRef] = field(default_factory=list)  # on the report day
    ranking: list[UnitRow] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        """Return on-time answers / all answers (None when nothing was answered)."""
        return self.on_time / self.answered if self.answered else None


def build_report(scope: ReportScope, period: Period, *, at: datetime | None = None,
                 calendar: WorkCalendar | None = None) -> Report:
    """Compute every figure of a report in a fixed number of SQL queries (``QUERY_COUNT``).

    Whole months come from the running totals (``spokes.reports.models``); the days of a month
    the period only cuts are counted on the requests, in the same statements. "Overdue" and its
    ageing depend on ``at`` (default: now) and are counted live on the open requests. ``calendar``
    is the working calendar for those cut months' answer times (default: loaded when needed).
    """
    at = at or now()
    report = Report(scope=scope, period=period, generated_at=at)
    received = _received_in(period)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # psycopg prepares a statement after a few runs, and PostgreSQL may then switch to a
        # generic plan that ignores the dates and states: measured 3-4 times slower on 200,000
        # requests. These reports are worth planning each time (this transaction only).
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    whole, cut = split_period(period)
    units = _scope_units(scope.condition(), at.astimezone(VN_TZ).date())  # query 1
    ids = [u.unit_id for u in units]
    counts = _fill_counts(report, _counted_rows(ids, whole, cut), postgresql=postgresql)  # query 2
    _fill_overdue(report, ids, received, at, counts)  # query 3
    _fill_transfers_and_publications(report, ids, period, whole, cut)  # query 4
    _fill_answer_times(report, ids, whole, cut, calendar)  # query 5 (+ the calendar for cut months)
    _fill_units(report, units, counts)
    return report


def split_period(period: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """Return the whole months of a period (their first days) and the parts of cut months (first, last day)."""
    whole: list[date] = []
    cut: list[tuple[date, date]] = []
    for month in period.months():
        first, last = period.month_bounds(month)
        if first.day == 1 and (last + timedelta(days=1)).day == 1:
            whole.append(first)
        else:
            cut.append((first, last))
    return whole, cut


def _between(first: date, last: date) -> ColumnElement[bool]:
    return and_(PressRequest.received_at >= day_start(first),
                PressRequest.received_at < day_start(last + timedelta(days=1)))


_UNIT_FIGURES = ("received", "answered", *OUTCOME_COLUMNS, "overdue")


def _counted_rows(ids: list[int], whole: list[date], cut: list[tuple[date, date]]) -> Any:
    """Return a subquery of totals rows: stored ones for the whole months, counted live for the cut ones."""
    parts: list[Select[Any]] = []
    if whole:
        parts.append(
            select(ReportTotal.unit_id, ReportTotal.type, ReportTotal.month, ReportTotal.ground_id,
                   *(getattr(ReportTotal, c) for c in COUNT_COLUMNS))
            .where(ReportTotal.unit_id.in_(ids), ReportTotal.month >= whole[0], ReportTotal.month <= whole[-1])
        )
    ground = ground_key()
    for first, last in cut:
        parts.append(
            select(PressRequest.unit_id, PressRequest.type, literal(first.replace(day=1), Date()).label("month"),
                   ground.label("ground_id"), *count_columns())
            .where(PressRequest.unit_id.in_(ids), _between(first, last))
            .group_by(PressRequest.unit_id, PressRequest.type, ground)
        )
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("counted")


def _fill_counts(report: Report, counted: Any, *, postgresql: bool) -> dict[int, dict[str, int]]:
    """Sum the counted rows three ways in one query: by unit, by month and type, and by refusal ground (named).

    PostgreSQL sums them in one pass over the rows (GROUPING SETS); SQLite, which has no
    grouping sets, in the three GROUP BYs of one compound statement. Each result row belongs to
    one grouping: the key columns of the others are NULL (stored keys never are).
    Return the per-unit counts by unit id (named later, see ``_fill_units``).
    """
    c = counted.c
    sums = [func.sum(c[name]).label(name) for name in COUNT_COLUMNS]
    if postgresql:
        grouped: Any = select(c.unit_id, c.month, c.type, c.ground_id, *sums).group_by(
            func.grouping_sets(tuple_(c.unit_id), tuple_(c.month, c.type), tuple_(c.ground_id)))
    else:
        grouped = union_all(
            select(c.unit_id, null().label("month"), null().label("type"), null().label("ground_id"), *sums)
            .group_by(c.unit_id),
            select(null(), c.month, c.type, null(), *sums).group_by(c.month, c.type),
            select(null(), null(), null(), c.ground_id, *sums).group_by(c.ground_id),
        )
    sums_of = grouped.subquery("grouped")
    rows = db.session.execute(
        select(sums_of, RefusalGround.code, RefusalGround.text, Rulebook.name.label("rulebook"), Rulebook.valid_from)
        .outerjoin(RefusalGround, RefusalGround.id == sums_of.c.ground_id)
        .outerjoin(Rulebook, Rulebook.id == RefusalGround.rulebook_id)
    ).mappings().all()
    units: dict[int, dict[str, int]] = {}
    channels = list(CHANNEL_COLUMNS)
    types = [t.value for t in RequestType]
    months = report.period.months()
    month_index = {date.fromisoformat(m + "-01"): i for i, m in enumerate(months)}
    by_type = dict.fromkeys(types, 0)
    by_channel = dict.fromkeys(channels, 0)
    by_month = [dict.fromkeys(types, 0) for _m in months]
    grounds: list[tuple[Any, str, GroundRow]] = []
    for row in rows:
        if row["unit_id"] is not None:
            if not row["received"]:
                continue  # rows every request has left (transferred, reclassified)
            unit = units[row["unit_id"]] = dict.fromkeys(_UNIT_FIGURES, 0)
            for name in ("received", *OUTCOME_COLUMNS):
                unit[name] = int(row[name])
            unit["answered"] = unit["on_time"] + unit["late"]
        elif row["month"] is not None:
            rtype, n = row["type"], int(row["received"] or 0)
            by_type[rtype] = by_type.get(rtype, 0) + n
            index = month_index[as_date(row["month"])]
            by_month[index][rtype] = by_month[index].get(rtype, 0) + n
            for code in channels:
                by_channel[code] += int(row[CHANNEL_COLUMNS[code]] or 0)
        elif row["code"] is not None and row["refused"]:
            grounds.append((row["valid_from"], row["code"], GroundRow(
                int(row["ground_id"]), row["code"], row["text"], row["rulebook"], int(row["refused"]))))
    # In rulebook and code order.
    report.refused_by_ground = [g for _valid_from, _code, g in sorted(grounds, key=lambda g: (g[0], g[1]))]
    report.received = sum(by_type.values())
    report.by_type = [CodeCount(code, n) for code, n in by_type.items()]
    report.by_channel = [CodeCount(code, n) for code, n in by_channel.items()]
    report.monthly = [MonthRow(m, counts, sum(counts.values())) for m, counts in zip(months, by_month, strict=True)]
    for name in ("answered", *OUTCOME_COLUMNS):
        setattr(report, name, sum(u[name] for u in units.values()))
    return units


def _fill_overdue(report: Report, ids: list[int], received: ColumnElement[bool], at: datetime,
                  units: dict[int, dict[str, int]]) -> None:
    """Count the overdue requests by ageing bucket and unit, live: "overdue" depends on the moment ``at``.

    Only the scope's open requests past their due time are read, from the partial index of
    open requests (unit, due time, receipt) alone. The buckets split the overdue requests by
    due time only (``bucket_condition`` without the part the WHERE already holds), so no column
    outside that index is needed.
    """
    rows = db.session.execute(
        select(PressRequest.unit_id, *(count_if(and_(true(), *_bucket_due(b, at))) for b in AGEING_BUCKETS))
        .where(PressRequest.unit_id.in_(ids), received, metric_condition("overdue", at))
        .group_by(PressRequest.unit_id)
    ).all()
    buckets = [0] * len(AGEING_BUCKETS)
    for unit_id, *sums in rows:
        for i, n in enumerate(sums):
            buckets[i] += n
        if unit_id in units:
            units[unit_id]["overdue"] += sum(sums)
    report.overdue = sum(buckets)
    report.ageing = [BucketCount(b, n) for b, n in zip(AGEING_BUCKETS, buckets, strict=True)]


def _fill_transfers_and_publications(report: Report, ids: list[int], period: Period,
                                     whole: list[date], cut: list[tuple[date, date]]) -> None:
    """Count the requests transferred out of the scope and the publications published in the period, in one query.

    Whole months sum the stored ``ReportUnitMonth`` rows; the days of cut months are counted on
    the transfers and publications themselves. The stored rows count transfers, while the report
    counts requests (``_transfers_in``, DISTINCT): a request transferred twice in the period out
    of units in scope counts once. Only a request with a repeat transfer in the period can, so
    the transfers of those requests are counted live (the small partial index of repeats finds
    them) and what they count twice is taken away.
    """
    flows: list[Select[int, int]] = []  # (transferred, published)
    if whole:
        flows.append(
            select(ReportUnitMonth.transferred, ReportUnitMonth.published)
            .where(ReportUnitMonth.unit_id.in_(ids), ReportUnitMonth.month >= whole[0],
                   ReportUnitMonth.month <= whole[-1])
        )
    for first, last in cut:
        start, end = day_start(first), day_start(last + timedelta(days=1))
        flows.append(
            select(func.count().label("transferred"), literal(0).label("published"))
            .where(Transfer.from_unit_id.in_(ids), Transfer.created_at >= start, Transfer.created_at < end)
        )
        flows.append(
            select(literal(0).label("transferred"), func.count().label("published"))
            .where(Publication.unit_id.in_(ids), Publication.published_at >= start, Publication.published_at < end,
                   Publication.withdrawn_at.is_(None))
        )
    summed = (flows[0] if len(flows) == 1 else union_all(*flows)).subquery("flows")
    repeat = aliased(Transfer)
    repeated = select(repeat.request_id).where(
        repeat.is_repeat, repeat.created_at >= period.start_at, repeat.created_at < period.end_before)
    counted_twice = (
        select(func.count() - func.count(Transfer.request_id.distinct()))
        .where(Transfer.from_unit_id.in_(ids), Transfer.created_at >= period.start_at,
               Transfer.created_at < period.end_before,
               Transfer.request_id.in_(repeated))
        .correlate(None).scalar_subquery()
    )
    transfers, published, twice = db.session.execute(
        select(func.sum(summed.c.transferred), func.sum(summed.c.published), counted_twice)
    ).one()
    report.transferred = int(transfers or 0) - int(twice or 0)
    report.published = int(published or 0)


def _fill_answer_times(report: Report, ids: list[int], whole: list[date],
                       cut: list[tuple[date, date]], calendar: WorkCalendar | None) -> None:
    """Compute the median and 90th percentile of answer times in working days.

    Whole months read the stored histogram; cut months' answers come as distinct (received date,
    answered date) pairs with their counts, in Vietnamese dates, counted here with the calendar.
    One statement for both.
    """
    parts: list[Select[int, date, date, int]] = []  # (days, received day, answered day, answers)
    if whole:
        parts.append(
            select(ReportAnswerDays.days, cast(null(), Date).label("received_day"), cast(null(), Date).label("answered_day"),
                   func.sum(ReportAnswerDays.answers).label("answers"))
            .where(ReportAnswerDays.unit_id.in_(ids), ReportAnswerDays.month >= whole[0],
                   ReportAnswerDays.month <= whole[-1])
            .group_by(ReportAnswerDays.days)
        )
    received_day = vn_date(PressRequest.received_at)
    answered_day = vn_date(PressRequest.answered_at)
    for first, last in cut:
        parts.append(
            select(cast(null(), Integer).label("days"), received_day.label("received_day"), answered_day.label("answered_day"),
                   func.count().label("answers"))
            .where(PressRequest.unit_id.in_(ids), _between(first, last),
                   PressRequest.state == RequestState.ANSWERED.value)
            .group_by(received_day, answered_day)
        )
    histogram: dict[int, int] = {}
    pairs: list[tuple[date, date, int]] = []
    for days, r, a, n in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all():
        if days is not None:
            histogram[days] = histogram.get(days, 0) + int(n)
        elif n:
            pairs.append((as_date(r), as_date(a), int(n)))
    if pairs:
        count = working_days(calendar or work_calendar())
        for r, a, n in pairs:
            days = count(r, a)
            histogram[days] = histogram.get(days, 0) + n
    histogram = {d: n for d, n in histogram.items() if n}
    if not histogram:
        return
    report.answer_days = dict(sorted(histogram.items()))
    report.answer_days_median = weighted_median(histogram)
    report.answer_days_p90 = weighted_percentile(histogram, 90)


@dataclass(frozen=True)
class _ScopeUnit:
    """A unit of the report's scope, as the report needs it."""

    unit_id: int
    code: str
    name: str
    is_active: bool
    has_speaker: bool


def _scope_units(in_scope: ColumnElement[bool], on: date) -> list[_ScopeUnit]:
    """Return the units of the scope in tree order, each with whether it publishes a spokesperson on a date.

    "No spokesperson" is the rule of ``spokes.units.services.units_without_spokesperson``
    (SP-07: no current head or designated spokesperson), for a report scope instead of a
    user's reach.
    """
    speaker = (
        select(Designation.id)
        .where(Designation.unit_id == Unit.id,
               Designation.kind.in_([DesignationKind.HEAD.value, DesignationKind.DESIGNATED.value]),
               current_designation_filter(on))
        .exists()
    )
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.is_active, speaker.label("has_speaker"))
        .where(in_scope).order_by(Unit.path)
    ).all()
    return [_ScopeUnit(uid, code, name, bool(active), bool(has_speaker)) for uid, code, name, active, has_speaker in rows]


def _fill_units(report: Report, units: list[_ScopeUnit], counts: dict[int, dict[str, int]]) -> None:
    """Name the units: the ranking, and the active units publishing no spokesperson on the report day."""
    report.units_without_spokesperson = [
        UnitRef(u.unit_id, u.code, u.name) for u in units if u.is_active and not u.has_speaker]
    names = {u.unit_id: (u.code, u.name) for u in units}
    ranked = [UnitRow(unit_id=uid, code=names[uid][0], name=names[uid][1], **figures)
              for uid, figures in counts.items() if uid in names]
    # Best on-time rate first; a unit with more answers ranks above an equal rate on fewer;
    # units that answered nothing yet come last.
    report.ranking = sorted(ranked, key=lambda u: (
        u.on_time_rate is None, -(u.on_time_rate or 0.0), -u.answered, u.name, u.unit_id))


# --------------------------------------------------------------------------- the signer


@dataclass(frozen=True)
class Signer:
    """Who signs a unit's report: the title and name from the head designation, when there is one."""

    title: str | None
    name: str | None


def report_signer(unit: Unit, on: date) -> Signer:
    """Return the unit's current head (người đứng đầu) designation as the report's signer."""

    row = db.session.execute(
        select(Designation.title, User.name)
        .join(User, User.id == Designation.user_id)
        .where(Designation.unit_id == unit.id, Designation.kind == DesignationKind.HEAD.value,
               current_designation_filter(on))
        .order_by(Designation.valid_from.desc(), Designation.id.desc())
        .limit(1)
    ).first()
    return Signer(title=row[0], name=row[1]) if row else Signer(None, None)


def request_rows(scope: ReportScope, period: Period, *, at: datetime | None = None,
                 calendar: WorkCalendar | None = None, batch: int = 2000) -> Iterable[dict[str, Any]]:
    """Yield the requests received in the period as plain rows for the detailed exports.

    Streams in batches (plain columns, no ORM objects) so a year of a province fits in memory.
    ``answer_days`` counts working days as the report's median does (``working_day_counter``).
    """
    at = at or now()
    count_days = working_day_counter(calendar or work_calendar(), period.start,
                                     max(period.end, at.astimezone(VN_TZ).date()))
    stmt = (
        select(PressRequest.reference, Unit.code, Unit.name, PressRequest.type, PressRequest.channel,
               PressRequest.state, PressRequest.received_at, PressRequest.due_at, PressRequest.answered_at,
               PressRequest.refused_at, PressRequest.withdrawn_at, PressRequest.extended_amount,
               PressRequest.subject)
        .join(Unit, Unit.id == PressRequest.unit_id)
        .where(scope.condition(), _received_in(period))
        .order_by(PressRequest.received_at, PressRequest.id)
        .execution_options(yield_per=batch)
    )
    for row in db.session.execute(stmt):
        (reference, code, name, rtype, channel, state, received_at, due_at, answered_at,
         refused_at, withdrawn_at, extended, subject) = row
        yield {
            "reference": reference, "unit_code": code, "unit_name": name, "type": rtype, "channel": channel,
            "state": state, "received_at": received_at, "due_at": due_at, "answered_at": answered_at,
            "closed_at": answered_at or refused_at or withdrawn_at,
            "on_time": (answered_at <= due_at) if answered_at is not None and state == RequestState.ANSWERED else None,
            "overdue": state in _OPEN and due_at < at,
            "answer_days": count_days(received_at.astimezone(VN_TZ).date(), answered_at.astimezone(VN_TZ).date())
            if answered_at is not None and state == RequestState.ANSWERED else None,
            "extended": bool(extended),
            "subject": subject,
        }
