"""Pages whose rows and total come from one statement, keyset positions, and estimated totals.

Flask-SQLAlchemy's ``paginate`` runs the list's query twice: once for the page's rows and once
as ``SELECT count(*) FROM (…)``, which repeats the whole filtering (a search matches its words
twice). ``paginate_counted`` puts the total in the rows' statement instead:

* by default ``count(*) OVER ()``: the database filters once and hands back the total with
  every row;
* with ``exact_up_to=N`` (searches, whose matches may be many): a scalar subquery counting at
  most N + 1 matching rows, which stops as soon as it has them. Past N the exact count would
  cost what every match costs, so the total becomes the planner's estimate on PostgreSQL
  (``approximate``: shown as "khoảng N") when it exceeds what was counted, else the known
  lower bound (``at_least``: "hơn N"), as always on SQLite and for word searches
  (``estimate=False``), whose matches the planner cannot guess;
* with ``total=`` a callable (a total kept per page-cache content version, say): no count at all.

``walk=`` (with ``exact_up_to``; a ``Walk``) reads a first page or a cursor's page another way
once the list is known to be long. The capped count then runs first, as its own statement:
``walk.count_to(limit)`` may give it (a word search over every state counts its matches along
the list's order, which stops at the cap, where the word index would first gather every match);
when it gives None the count runs on ``select``. Past the cap, or when the walk counted,
``walk.rows(after, limit)`` may return the page's rows (a bounded stretch of the list in its
order, each row tested, instead of sorting every match); when it returns None the rows come
from ``select`` as usual. Under the cap when the walk did not count, and on numbered pages
past the first, nothing changes.

``after=`` reads the page from a keyset position (``Cursor``: the (moment, id) of the last row
shown, newest first) instead of an OFFSET, so the thousandth page costs what the first does.
Only a page past the end, which has no row to carry the total, asks for the count separately.

``load=`` pages a list whose rows are wide (the staff queue joins four tables): the SELECT then
reads only ``(id, moment)`` from the sort index, and ``load(ids)`` fetches the rows of the page
shown, in that order.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.sql import Select

from spokes.extensions import db

TOTAL = "_spokes_total"
SEARCH_EXACT_UP_TO = 1000  # searches count exactly up to this many matches, then say "more than"
MAX_CURSOR = 100


@dataclass(frozen=True)
class Cursor:
    """A position in a newest-first list: just after the row with this ``moment`` and ``id``.

    Its text form is short and opaque (``<microseconds>.<id>`` in base 36); the longer
    base64 form of earlier API responses is still read.
    """

    moment: datetime
    id: int

    def encode(self) -> str:
        """Return the text a client sends back to read the next page."""
        micros = int(self.moment.astimezone(UTC).timestamp() * 1_000_000)
        return f"{_base36(micros)}.{_base36(self.id)}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """Read a cursor's text; raise ValueError when it is not one."""
        cursor = cls._parse(raw.strip())
        if not 0 <= cursor.id < 2 ** 63:  # what a database id can be
            raise ValueError(raw)
        return cursor

    @classmethod
    def _parse(cls, raw: str) -> Cursor:
        if not raw or len(raw) > MAX_CURSOR:
            raise ValueError(raw)
        stamp, dot, ident = raw.partition(".")
        if dot:
            micros, number = int(stamp, 36), int(ident, 36)
            if micros < 0 or number < 0:
                raise ValueError(raw)
            try:
                return cls(datetime.fromtimestamp(micros / 1_000_000, UTC), number)
            except (OverflowError, OSError) as err:  # a moment past what dates can hold
                raise ValueError(raw) from err
        try:
            text_ = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError) as err:
            raise ValueError(raw) from err
        moment_text, _bar, ident = text_.partition("|")
        moment = datetime.fromisoformat(moment_text)
        if moment.tzinfo is None:
            raise ValueError(raw)
        return cls(moment, int(ident))


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text_ = ""
    while True:
        number, rest = divmod(number, 36)
        text_ = digits[rest] + text_
        if not number:
            return text_


def after(stmt: Select, cursor: Cursor, moment: Any, ident: Any, *, descending: bool = True) -> Select:
    """Limit a ``(moment, ident)``-ordered SELECT (newest first unless ``descending=False``) to the rows after the cursor.

    Written as ``moment <= m AND (moment < m OR ident < i)`` so that an index whose leading
    column is ``moment`` (or ``(unit_id, moment)``, or a partial ``(due_at, id)``) is read from
    the position on.
    """
    if not descending:
        return stmt.where(moment >= cursor.moment,
                          sa.or_(moment > cursor.moment, sa.and_(moment == cursor.moment, ident > cursor.id)))
    return stmt.where(moment <= cursor.moment,
                      sa.or_(moment < cursor.moment, sa.and_(moment == cursor.moment, ident < cursor.id)))


def estimated_rows(select: Select) -> int | None:
    """Return the planner's estimate of the rows a SELECT returns (PostgreSQL), else None.

    Planning only: nothing is executed, so it costs about a millisecond whatever the matches.
    """
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return None
    stmt: Select[Any] = select.with_only_columns(sa.literal_column("1"), maintain_column_froms=True).order_by(None)
    compiled = stmt.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + compiled.string,
                                                   compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def round_estimate(value: int) -> int:
    """Round an estimate to two significant figures (27 292 → 27 000): it is only "about"."""
    if value < 100:
        return value
    scale = 10 ** (len(str(value)) - 2)
    return round(value / scale) * scale


class Walk(Protocol):
    """Another way to read a long list: its total up to a cap, and a page's rows (``walk=``)."""

    def count_to(self, limit: int) -> int | None:
        """Return how many rows the list has, counting at most ``limit``; None to let the list's own count run."""

    def rows(self, after: Cursor | None, limit: int) -> list[Any] | None:
        """Return the first ``limit`` ``(id, moment)`` rows after ``after`` (None: from the start), or None."""


class CountedPagination(SelectPagination):
    """A ``SelectPagination`` whose total rides along with the rows, or is capped, or is given."""

    _counted: int | None = None
    approximate = False  # the total is the planner's estimate ("khoảng N")
    at_least = False  # the total is a lower bound ("hơn N")
    next_cursor: Cursor | None = None

    def _capped_limit(self, cap: int) -> int:
        return max(cap, self._query_offset + self.per_page) + 1

    def _query_items(self) -> list[Any]:
        select: Select = self._query_args["select"]
        cursor: Cursor | None = self._query_args.get("after")
        keys: tuple[Any, Any] | None = self._query_args.get("keys")
        cap: int | None = self._query_args.get("exact_up_to")
        given = self._query_args.get("total")
        descending = self._query_args.get("descending", True)
        walk: Walk | None = self._query_args.get("walk")
        session = self._query_args["session"]
        rows_stmt = select if cursor is None or keys is None else after(select, cursor, *keys, descending=descending)
        offset = 0 if cursor is not None else self._query_offset
        # One row more than the page, for keyset pages: it says whether another page follows.
        limit = self.per_page + (1 if keys is not None else 0)
        rows: list[Any] | None = None
        if (cap is not None and walk is not None and given is None and self._query_args["with_total"]
                and offset == 0):
            # Count first (the walk's way if it has one); past the cap, try the walk for the page's rows.
            counted_to = self._capped_limit(cap)
            counted = walk.count_to(counted_to)
            walked = counted is not None  # the walk counted: its matches are dense along the order
            if counted is None:
                counted = int(session.execute(self._capped_count(select, counted_to)).scalar_one())
            self._counted = counted
            if counted >= counted_to or walked:
                rows = walk.rows(cursor, limit)
        if given is not None or not self._query_args["with_total"] or self._counted is not None:
            extra = None
        elif cap is not None:  # counts the whole list, whatever the position of the page
            extra = self._capped_count(select, self._capped_limit(cap)).scalar_subquery()
        elif cursor is None:
            extra = sa.func.count().over()
        else:  # a window would count only the rows after the cursor
            extra = None
        stmt = rows_stmt if extra is None else rows_stmt.add_columns(extra.label(TOTAL))
        if rows is None:
            rows = session.execute(stmt.limit(limit).offset(offset)).unique().all()
        self._more = len(rows) > self.per_page
        rows = rows[:self.per_page]
        if extra is not None and rows:
            self._counted = int(rows[0][-1])
        elif extra is not None and cap is None and self.page == 1:
            self._counted = 0
        load: Callable[[list[Any]], list[Any]] | None = self._query_args.get("load")
        if load is not None:  # rows are (id, moment): the cursor is read from them, the items loaded
            if keys is not None and rows and self._more:
                self.next_cursor = Cursor(rows[-1][1], rows[-1][0])
            return load([row[0] for row in rows]) if rows else []
        items = [row[0] for row in rows]
        if keys is not None and items and self._more:
            last = items[-1]
            self.next_cursor = Cursor(getattr(last, keys[0].key), getattr(last, keys[1].key))
        return items

    @staticmethod
    def _capped_count(select: Select, limit: int) -> Any:
        capped = (select.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
                  .order_by(None).limit(limit).subquery())
        return sa.select(sa.func.count()).select_from(capped)

    def _query_count(self) -> int:
        given: Callable[[], int] | None = self._query_args.get("total")
        if given is not None:
            return int(given())
        cap: int | None = self._query_args.get("exact_up_to")
        if cap is None:
            return self._counted if self._counted is not None else super()._query_count()
        limit = self._capped_limit(cap)
        counted = self._counted
        if counted is None:
            counted = int(self._query_args["session"].execute(
                self._capped_count(self._query_args["select"], limit)).scalar_one())
        if counted < limit:
            return counted
        estimate = estimated_rows(self._query_args["select"]) if self._query_args["estimate"] else None
        if estimate is None or estimate <= limit:
            # No estimate (none asked for, as for word searches, or SQLite), or one the count
            # already disproves: say what is known, "more than N".
            self.at_least = True
            return limit - 1
        self.approximate = True
        return round_estimate(estimate)

    @property
    def partial_total(self) -> bool:
        """Return whether ``total`` is an estimate or a lower bound rather than an exact count."""
        return self.approximate or self.at_least

    @property
    def next_cursor_text(self) -> str | None:
        """Return the cursor of the next page as text (for links), or None."""
        return self.next_cursor.encode() if self.next_cursor is not None else None

    @property
    def has_next(self) -> bool:
        """Return whether a page follows (known from the rows themselves on keyset pages)."""
        if self._query_args.get("keys") is not None:
            return self._more
        return super().has_next


def paginate_counted(select: Select, *, page: int, per_page: int, exact_up_to: int | None = None,
                     total: Callable[[], int] | None = None, keys: tuple[Any, Any] | None = None,
                     after: Cursor | None = None, count: bool = True, descending: bool = True,
                     load: Callable[[list[Any]], list[Any]] | None = None,
                     walk: Walk | None = None, estimate: bool = True) -> CountedPagination:
    """Return one page of a single-entity SELECT and its total, normally in one statement.

    ``exact_up_to``: count at most that many matches, then estimate (searches: pass
    ``SEARCH_EXACT_UP_TO`` and ``estimate=False``). ``total``: the total is known already (no
    count). ``keys``: the ``(moment, id)`` columns of a newest-first order, to hand out ``next_cursor``; ``after``:
    read the page from that cursor on instead of by offset (``page`` then only labels it).
    ``count=False``: no total at all (``total`` is None). ``descending=False`` for an
    oldest-first order such as the staff queue's ``(due_at, id)``. ``load``: the SELECT reads
    ``(id, moment)`` only and ``load(ids)`` returns the page's rows in that order. ``walk``: another
    way to count a long list up to the cap and read a first or cursor page past it (``Walk``).
    ``estimate=False``: past ``exact_up_to`` say only "more than N", never the planner's guess.
    Searches pass it: the planner guesses word matches from each word alone (at 1,000,000
    requests it expected about 3,500 for words that 121,503 requests hold).

    The staff queue calls it as ``paginate_counted(select(id, due_at)…, page=…, per_page=…,
    exact_up_to=…, keys=(PressRequest.due_at, PressRequest.id), after=…, descending=False,
    load=…)``; its template shows ``page.approximate`` as "khoảng N" and ``page.at_least`` as
    "hơn N".
    """
    return CountedPagination(select=select, session=db.session(), page=page, per_page=per_page, error_out=False,
                             count=count, with_total=count, exact_up_to=exact_up_to, total=total, keys=keys, after=after,
                             descending=descending, load=load, walk=walk, estimate=estimate)
