"""Keep the report totals (``spokes.reports.models``) equal to the requests, transfers and publications.

Every flush that adds, changes or deletes a press request moves its count from the totals
row it was in to the row it is in now, in the same transaction: intake, answer, refusal,
withdrawal, reopening, transfer (the unit changes), reclassification (the type changes), a
deadline moved after an answer (on time becomes late). Transfers and publications are followed
the same way into the per unit and month rows (``ReportUnitMonth``): a transfer counts in the
month it was made, at the unit it left; a publication counts in the month it was published, at
its unit, until it is withdrawn (and again if a withdrawal were ever undone). A bulk statement
bypasses the ORM, so the one that moves requests and publications in bulk, a unit merge, is
heard through its domain event (``unit_merged``) and recounts the units it touched. ``rebuild``
recounts everything.

Increments are upserts on the row's key, sorted, so two transactions touching the same rows
take their locks in the same order.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, and_, case, delete, event, exists, func, insert, literal, select, true, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, UOWTransaction, attributes
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.services import work_calendar
from spokes.press_requests.models import OPEN_STATES, PressRequest, RequestState, Transfer
from spokes.extensions import db
from spokes.publishing.models import Publication
from spokes.reports.models import CHANNEL_COLUMNS, COUNT_COLUMNS, NO_GROUND, ReportAnswerDays, ReportTotal, ReportUnitMonth
from spokes.units.models import Unit

log = logging.getLogger(__name__)

_OPEN = frozenset(s.value for s in OPEN_STATES)
# The request columns a totals row depends on.
WATCHED = ("unit_id", "received_at", "type", "channel", "state", "answered_at", "due_at", "refusal_ground_id")
TOTAL_KEY = ("unit_id", "month", "type", "ground_id")
DAYS_KEY = ("unit_id", "month", "days")
UNIT_MONTH_KEY = ("unit_id", "month")
UNIT_MONTH_COLUMNS = ("transferred", "published")


# --------------------------------------------------------------------------- SQL helpers


class vn_date(FunctionElement[date]):  # noqa: N801 - reads like the SQL function it renders
    """The Vietnamese calendar date of a UTC timestamp column, computed by the database."""

    type = Date()
    inherit_cache = True
    name = "vn_date"


class vn_month(FunctionElement[date]):  # noqa: N801
    """The first day of the Vietnamese calendar month of a UTC timestamp column."""

    type = Date()
    inherit_cache = True
    name = "vn_month"


# PostgreSQL converts with the time-zone database. SQLite has none, so the offset is fixed:
# Vietnam has kept UTC+07:00 without daylight saving since 1975, long before any stored row.
@compiles(vn_date)
def _vn_date_pg(element: vn_date, compiler: Any, **kw: Any) -> str:
    return "CAST((%s AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(vn_date, "sqlite")
def _vn_date_sqlite(element: vn_date, compiler: Any, **kw: Any) -> str:
    return "date(%s, '+7 hours')" % compiler.process(element.clauses, **kw)


@compiles(vn_month)
def _vn_month_pg(element: vn_month, compiler: Any, **kw: Any) -> str:
    return ("CAST(date_trunc('month', %s AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)"
            % compiler.process(element.clauses, **kw))


@compiles(vn_month, "sqlite")
def _vn_month_sqlite(element: vn_month, compiler: Any, **kw: Any) -> str:
    return "date(%s, '+7 hours', 'start of month')" % compiler.process(element.clauses, **kw)


def as_date(value: Any) -> date:
    """Return a date from what the driver gives back (a date on PostgreSQL, text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def count_if(condition: ColumnElement[bool]) -> Any:
    """Return COUNT(CASE WHEN condition THEN 1 END): the rows meeting a condition (0, never NULL)."""
    return func.count(case((condition, 1)))


def outcome_conditions() -> dict[str, ColumnElement[bool]]:
    """Return the SQL condition of each stored outcome (the columns of a totals row)."""
    state = PressRequest.state
    answered = state == RequestState.ANSWERED.value
    return {
        "on_time": and_(answered, PressRequest.answered_at <= PressRequest.due_at),
        "late": and_(answered, PressRequest.answered_at > PressRequest.due_at),
        "open": state.in_(sorted(_OPEN)),
        "refused": state == RequestState.REFUSED.value,
        "withdrawn": state == RequestState.WITHDRAWN.value,
    }


def ground_key() -> Any:
    """Return the SQL ``ground_id`` key of a request: its refusal ground when refused, else 0."""
    return case((and_(PressRequest.state == RequestState.REFUSED.value, PressRequest.refusal_ground_id.is_not(None)),
                 PressRequest.refusal_ground_id), else_=literal(NO_GROUND))


def count_columns() -> list[Any]:
    """Return the aggregate columns of a totals row, in ``COUNT_COLUMNS`` order, over press_requests."""
    outcomes = outcome_conditions()
    return [func.count().label("received"),
            *(count_if(cond).label(name) for name, cond in outcomes.items()),
            *(count_if(PressRequest.channel == code).label(column) for code, column in CHANNEL_COLUMNS.items())]


# --------------------------------------------------------------------------- one request's place


def vn_month_of(moment: datetime) -> date:
    """Return the first day of the Vietnamese month of a moment."""
    local = moment.astimezone(VN_TZ)
    return date(local.year, local.month, 1)


@dataclass(frozen=True)
class Counted:
    """Where one request counts: its totals row, its columns, and its answer dates when answered."""

    key: tuple[int, date, str, int]
    outcome: str
    channel_column: str | None
    answer: tuple[date, date] | None  # (received, answered), Vietnamese dates


def counted(values: dict[str, Any]) -> Counted | None:
    """Return where a request with these column values counts (None: not countable yet)."""
    unit_id, received_at, rtype, state = (values.get(k) for k in ("unit_id", "received_at", "type", "state"))
    if unit_id is None or received_at is None or rtype is None or state is None:
        return None
    answered_at, due_at = values.get("answered_at"), values.get("due_at")
    ground = NO_GROUND
    answer = None
    if state == RequestState.ANSWERED.value:
        late = answered_at is not None and due_at is not None and answered_at > due_at
        outcome = "late" if late else "on_time"
        if answered_at is not None:
            answer = (received_at.astimezone(VN_TZ).date(), answered_at.astimezone(VN_TZ).date())
    elif state in _OPEN:
        outcome = "open"
    elif state == RequestState.REFUSED.value:
        outcome = "refused"
        ground = values.get("refusal_ground_id") or NO_GROUND
    else:
        outcome = "withdrawn"
    return Counted(key=(unit_id, vn_month_of(received_at), rtype, ground), outcome=outcome,
                   channel_column=CHANNEL_COLUMNS.get(values.get("channel") or ""), answer=answer)


def transfer_month(values: dict[str, Any]) -> tuple[int, date] | None:
    """Return the (unit left, month made) a transfer counts in (None: not countable yet)."""
    unit_id, created_at = values.get("from_unit_id"), values.get("created_at")
    if unit_id is None or created_at is None:
        return None
    return unit_id, vn_month_of(created_at)


def publication_month(values: dict[str, Any]) -> tuple[int, date] | None:
    """Return the (unit, month published) a publication counts in; None when withdrawn (it counts nowhere)."""
    unit_id, published_at = values.get("unit_id"), values.get("published_at")
    if unit_id is None or published_at is None or values.get("withdrawn_at") is not None:
        return None
    return unit_id, vn_month_of(published_at)


@dataclass(frozen=True)
class Followed:
    """How the rows of one model count in ``ReportUnitMonth``: the columns watched, the figure, the place."""

    watched: tuple[str, ...]
    column: str
    place: Callable[[dict[str, Any]], tuple[int, date] | None]


FOLLOWED: dict[type, Followed] = {
    Transfer: Followed(("from_unit_id", "created_at"), "transferred", transfer_month),
    Publication: Followed(("unit_id", "published_at", "withdrawn_at"), "published", publication_month),
}


class Deltas:
    """Increments to apply to the totals, collected over one flush."""

    def __init__(self) -> None:
        self.totals: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
        self.answers: Counter[tuple[int, date, date, date]] = Counter()
        self.unit_months: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)

    def add(self, place: Counted | None, sign: int) -> None:
        """Count (sign 1) or uncount (sign -1) one request at its place."""
        if place is None:
            return
        row = self.totals[place.key]
        row["received"] += sign
        row[place.outcome] += sign
        if place.channel_column:
            row[place.channel_column] += sign
        if place.answer is not None:
            self.answers[(place.key[0], place.key[1], *place.answer)] += sign

    def add_unit_month(self, place: tuple[int, date] | None, column: str, sign: int) -> None:
        """Count (sign 1) or uncount (sign -1) one transfer or publication in its unit and month."""
        if place is not None:
            self.unit_months[place][column] += sign

    def __bool__(self) -> bool:
        return (any(any(c.values()) for c in self.totals.values()) or any(self.answers.values())
                or any(any(c.values()) for c in self.unit_months.values()))

    def apply(self, conn: Connection, calendar: Callable[[], WorkCalendar]) -> None:
        """Upsert the non-zero increments, in key order."""
        rows = []
        for key in sorted(self.totals):
            counts = self.totals[key]
            if any(counts.values()):
                rows.append({**dict(zip(TOTAL_KEY, key, strict=True)), **{c: counts.get(c, 0) for c in COUNT_COLUMNS}})
        if rows:
            _upsert(conn, ReportTotal.__table__, TOTAL_KEY, COUNT_COLUMNS, rows)
        pairs = {k: n for k, n in self.answers.items() if n}
        if pairs:
            days: Counter[tuple[int, date, int]] = Counter()
            count = working_days(calendar())
            for (unit_id, month, received, answered), n in pairs.items():
                days[(unit_id, month, count(received, answered))] += n
            _upsert(conn, ReportAnswerDays.__table__, DAYS_KEY, ("answers",),
                    [{"unit_id": u, "month": m, "days": d, "answers": n} for (u, m, d), n in sorted(days.items()) if n])
        months = [{"unit_id": u, "month": m, **{c: counts.get(c, 0) for c in UNIT_MONTH_COLUMNS}}
                  for (u, m), counts in sorted(self.unit_months.items()) if any(counts.values())]
        if months:
            _upsert(conn, ReportUnitMonth.__table__, UNIT_MONTH_KEY, UNIT_MONTH_COLUMNS, months)


def _upsert(conn: Connection, table: Any, keys: Sequence[str], counts: Sequence[str], rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={c: table.c[c] + stmt.excluded[c] for c in counts})
    conn.execute(stmt, rows)


def working_days(calendar: WorkCalendar) -> Callable[[date, date], int]:
    """Return f(received, answered): the working days after ``received`` up to ``answered``.

    The day of receipt is not counted (BLDS 2015 Điều 147): an answer on the same day takes
    0 working days; an answer on a day off counts the working days up to it.
    """
    cache: dict[tuple[date, date], int] = {}

    def count(received: date, answered: date) -> int:
        if answered <= received:
            return 0
        key = (received, answered)
        if key not in cache:
            cache[key] = (answered - received).days - len(calendar.days_off_in(date.fromordinal(received.toordinal() + 1),
                                                                               answered))
        return cache[key]

    return count


# --------------------------------------------------------------------------- following the ORM


def _previous(obj: Any, watched: Sequence[str] = WATCHED) -> dict[str, Any]:
    """Return the watched values as they were before this flush."""
    values = {}
    for key in watched:
        history = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if history.deleted:
            values[key] = history.deleted[0]
        elif history.unchanged:
            values[key] = history.unchanged[0]
        else:
            values[key] = getattr(obj, key)
    return values


def _current(obj: Any, watched: Sequence[str] = WATCHED) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in watched}


def _changed(obj: Any, watched: Sequence[str] = WATCHED) -> bool:
    return any(attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE).has_changes()
               for key in watched)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    deltas = Deltas()
    for obj in session.new:
        if isinstance(obj, PressRequest):
            deltas.add(counted(_current(obj)), 1)
        elif (followed := FOLLOWED.get(type(obj))) is not None:
            deltas.add_unit_month(followed.place(_current(obj, followed.watched)), followed.column, 1)
    for obj in session.dirty:
        if isinstance(obj, PressRequest) and _changed(obj):
            before, after = counted(_previous(obj)), counted(_current(obj))
            if before != after:
                deltas.add(before, -1)
                deltas.add(after, 1)
        elif (followed := FOLLOWED.get(type(obj))) is not None and _changed(obj, followed.watched):
            was, now_at = followed.place(_previous(obj, followed.watched)), followed.place(_current(obj, followed.watched))
            if was != now_at:
                deltas.add_unit_month(was, followed.column, -1)
                deltas.add_unit_month(now_at, followed.column, 1)
    for obj in session.deleted:
        if isinstance(obj, PressRequest):
            deltas.add(counted(_previous(obj)), -1)
        elif (followed := FOLLOWED.get(type(obj))) is not None:
            deltas.add_unit_month(followed.place(_previous(obj, followed.watched)), followed.column, -1)
    if deltas:
        deltas.apply(session.connection(), work_calendar)


def _mark_repeats(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Mark each new transfer of a request already transferred (``Transfer.is_repeat``).

    A report counts the requests transferred in its period once each, while the totals count
    transfers; only requests with a repeat transfer can tell the two apart, and the report
    corrects for them through the small index of repeats.
    """
    new = [obj for obj in session.new if isinstance(obj, Transfer) and obj.request_id is not None]
    if not new:
        return
    with session.no_autoflush:
        seen = set(session.execute(
            select(Transfer.request_id).where(Transfer.request_id.in_({t.request_id for t in new})).distinct()
        ).scalars())
    for transfer in new:  # two new transfers of one request in one flush: the second is the repeat
        if transfer.request_id in seen:
            transfer.is_repeat = True
        seen.add(transfer.request_id)


def _load_old_value(_target: Any, value: Any, _oldvalue: Any, _initiator: Any) -> Any:
    return value


def follow() -> None:
    """Keep the totals in step with every flush of a press request, a transfer or a publication (idempotent)."""
    if not event.contains(Session, "before_flush", _mark_repeats):
        event.listen(Session, "before_flush", _mark_repeats)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    watched = [(PressRequest, WATCHED), *((model, f.watched) for model, f in FOLLOWED.items())]
    for model, keys in watched:
        for key in keys:
            # Loads the old value before a change, so the row it leaves is known even when the
            # change is made on an object whose columns were expired (after a commit).
            attribute = getattr(model, key)
            if not event.contains(attribute, "set", _load_old_value):
                event.listen(attribute, "set", _load_old_value, active_history=True, retval=True)


# --------------------------------------------------------------------------- recounting


def recount(conn: Connection, calendar: WorkCalendar, unit_ids: Iterable[int] | None = None) -> int:
    """Recount the totals of some units (None: all) from their requests, transfers and publications.

    Return the requests counted.
    """
    ids = None if unit_ids is None else sorted(set(unit_ids))
    totals, days, months = ReportTotal.__table__, ReportAnswerDays.__table__, ReportUnitMonth.__table__
    only = (lambda column: column.in_(ids)) if ids is not None else (lambda column: true())
    conn.execute(delete(totals).where(only(totals.c.unit_id)))
    conn.execute(delete(days).where(only(days.c.unit_id)))
    conn.execute(delete(months).where(only(months.c.unit_id)))
    made, published = vn_month(Transfer.created_at), vn_month(Publication.published_at)
    flows = union_all(
        select(Transfer.from_unit_id.label("unit_id"), made.label("month"), func.count().label("transferred"),
               literal(0).label("published"))
        .where(only(Transfer.from_unit_id)).group_by(Transfer.from_unit_id, made),
        select(Publication.unit_id, published, literal(0), func.count())
        .where(only(Publication.unit_id), Publication.withdrawn_at.is_(None)).group_by(Publication.unit_id, published),
    ).subquery("flows")
    conn.execute(insert(months).from_select(
        [*UNIT_MONTH_KEY, *UNIT_MONTH_COLUMNS],
        select(flows.c.unit_id, flows.c.month, func.sum(flows.c.transferred), func.sum(flows.c.published))
        .group_by(flows.c.unit_id, flows.c.month)))
    month = vn_month(PressRequest.received_at)
    ground = ground_key()
    source = (
        select(PressRequest.unit_id, month, PressRequest.type, ground, *count_columns())
        .where(only(PressRequest.unit_id))
        .group_by(PressRequest.unit_id, month, PressRequest.type, ground)
    )
    conn.execute(insert(totals).from_select([*TOTAL_KEY, *COUNT_COLUMNS], source))
    received, answered = vn_date(PressRequest.received_at), vn_date(PressRequest.answered_at)
    pairs = conn.execute(
        select(PressRequest.unit_id, month, received, answered, func.count())
        .where(only(PressRequest.unit_id), PressRequest.state == RequestState.ANSWERED.value,
               PressRequest.answered_at.is_not(None))
        .group_by(PressRequest.unit_id, month, received, answered)
    ).all()
    count = working_days(calendar)
    histogram: Counter[tuple[int, date, int]] = Counter()
    for unit_id, first, r, a, n in pairs:
        histogram[(unit_id, as_date(first), count(as_date(r), as_date(a)))] += n
    if histogram:
        conn.execute(insert(days), [{"unit_id": u, "month": m, "days": d, "answers": n}
                                    for (u, m, d), n in sorted(histogram.items())])
    return int(conn.execute(select(func.coalesce(func.sum(totals.c.received), 0))
                            .where(only(totals.c.unit_id))).scalar_one())


def rebuild(conn: Connection, calendar: WorkCalendar, unit_ids: Sequence[int], *, batch: int = 20,
            progress: Callable[[int, int, int], None] | None = None) -> int:
    """Recount every unit's totals, ``batch`` units at a time; return the requests counted.

    ``progress(units done, units, requests counted)`` is called after each batch. The rows of
    units that no longer exist are dropped first.
    """
    known = list(unit_ids)
    for table in (ReportTotal.__table__, ReportAnswerDays.__table__, ReportUnitMonth.__table__):
        conn.execute(delete(table).where(table.c.unit_id.not_in(known)))
    mark_repeats(conn)
    counted_requests = 0
    for start in range(0, len(known), batch):
        counted_requests += recount(conn, calendar, known[start:start + batch])
        if progress:
            progress(min(start + batch, len(known)), len(known), counted_requests)
    return counted_requests


def mark_repeats(conn: Connection) -> None:
    """Set ``Transfer.is_repeat`` anew: every transfer of a request but its first (lowest id)."""
    transfers = Transfer.__table__
    earlier = transfers.alias("earlier")
    has_earlier = exists().where(earlier.c.request_id == transfers.c.request_id, earlier.c.id < transfers.c.id)
    conn.execute(update(transfers).where(transfers.c.is_repeat.is_(False), has_earlier).values(is_repeat=True))
    conn.execute(update(transfers).where(transfers.c.is_repeat.is_(True), ~has_earlier).values(is_repeat=False))


def rebuild_all(*, batch: int = 20, progress: Callable[[int, int, int], None] | None = None) -> tuple[int, int]:
    """Recount the totals of every unit in the session's transaction; return (units, requests counted)."""
    unit_ids = list(db.session.execute(select(Unit.id).order_by(Unit.id)).scalars())
    return len(unit_ids), rebuild(db.session.connection(), work_calendar(), unit_ids, batch=batch, progress=progress)


def fill_if_empty() -> int:
    """Count every request when the totals are empty but requests exist (after the upgrade that adds them)."""
    if db.session.execute(select(ReportTotal.unit_id).limit(1)).first() is not None:
        return 0
    if db.session.execute(select(PressRequest.id).limit(1)).first() is None:
        return 0
    return rebuild_all()[1]
