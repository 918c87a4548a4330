"""Read models of requests: lists limited to what the user may see, the staff queue, intake pickers.

Queries only; the commands are in ``services``. Nothing here writes. The staff queue costs the
same at any size (``queue_page``: the sort index, a capped count, a keyset cursor) and its filter
choices are cached per user scope (``filter_choices``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import and_, bindparam, event, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased, defer, lazyload, selectinload
from sqlalchemy.sql import Select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import ROLE_PERMISSIONS, SUBTREE_ROLES, Permission, Role
from spokes.auth.policies import roles_of, scope_paths
from spokes.core.clock import VN_TZ, now
from spokes.core.pagination import SEARCH_EXACT_UP_TO, CountedPagination, Cursor, after, paginate_counted
from spokes.core.params import id_or_none
from spokes.core.search import (joined_to_matches, matching_condition, matching_ids, search_terms, stored_vector,
                                vector_matches)
from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, Journalist, PressRequest, Transfer
from spokes.press_requests.services.intake import SEARCH_TYPE
from spokes.units.models import Unit
from spokes.units.policies import scope_condition
from spokes.units.queries import tree_order

DUE_SOON_DAYS = 3


def visible_requests(user: Any) -> Select:
    """Return a SELECT of the requests the user may view (filtered in SQL, never in Python)."""
    stmt = select(PressRequest).join(Unit, PressRequest.unit_id == Unit.id)
    return stmt.where(scope_condition(user, Permission.VIEW_REQUESTS))


def open_only(stmt: Select) -> Select:
    """Limit a request SELECT to open states."""
    return stmt.where(PressRequest.state.in_([s.value for s in OPEN_STATES]))


def due_soon_cutoff(at: datetime | None = None) -> datetime:
    """Return the moment before which an open request counts as "due soon"."""
    return (at or now()) + timedelta(days=DUE_SOON_DAYS)


LIST_UNSHOWN = (PressRequest.questions, PressRequest.deadline_explanation, PressRequest.received_at_reason,
                PressRequest.conclusion_summary, PressRequest.refusal_reason)


def with_list_options(stmt: Select) -> Select:
    """Eager-load what request lists show, so a page costs a fixed number of queries.

    The assignee's name only: not their memberships, which ``User`` otherwise loads with them.
    Nor the long texts a list never shows (the questions, the deadline's explanation, the
    reasons): reading one of them from a listed row raises instead of costing a query a row.
    """
    return stmt.options(selectinload(PressRequest.assignee).lazyload(User.memberships),
                        *(defer(column, raiseload=True) for column in LIST_UNSHOWN))


# --------------------------------------------------------------------------- the staff queue

OPEN_CODES = [s.value for s in OPEN_STATES]


def view_roles(user: Any) -> list[Membership]:
    """Return the user's memberships that let them view requests."""
    return [m for m in user.memberships if Permission.VIEW_REQUESTS in ROLE_PERMISSIONS[Role(m.role)]]


def tabs_for(user: Any) -> list[str]:
    """Return the queue tabs the user's roles call for, the default one first."""
    roles = roles_of(user)
    tabs = []
    if roles & {Role.SPOKESPERSON, Role.HEAD}:
        tabs.append("mine")
    if any(Role(m.role) in SUBTREE_ROLES for m in view_roles(user)):
        tabs.append("subtree")
    tabs.append("unit")
    tabs.append("transferred")
    return tabs


def transferred_out(user: Any) -> Select:
    """Return a SELECT of requests that left one of the user's units (read-only there)."""
    left = (
        select(Transfer.request_id)
        .join(Unit, Unit.id == Transfer.from_unit_id)
        .where(scope_condition(user, Permission.VIEW_REQUESTS))
    )
    return select(PressRequest).join(Unit, PressRequest.unit_id == Unit.id).where(PressRequest.id.in_(left))


def queue_statement(user: Any, tab: str) -> Select:
    """Return the SELECT behind a queue tab, before the filters."""
    if tab == "mine":
        return visible_requests(user).where(PressRequest.assignee_id == user.id)
    if tab == "unit":
        own = [m.unit_id for m in view_roles(user)]
        return visible_requests(user).where(PressRequest.unit_id.in_(own))
    if tab == "transferred":
        return transferred_out(user)
    return visible_requests(user)


def scope_units(user: Any) -> list[Any]:
    """Return (id, name, code, depth, is_active) rows of the units the user sees, in tree order, for the filter.

    Rows, not ORM objects: nothing to build. The code and whether a unit stopped tell apart a merged
    commune from its successor of the same name.
    """
    return tree_order(list(db.session.execute(  # depth-first by name: a menu that reads like the tree
        select(Unit.id, Unit.parent_id, Unit.name, Unit.code, Unit.depth, Unit.is_active)
        .where(scope_condition(user, Permission.VIEW_REQUESTS)).order_by(Unit.path)
    )))


def scope_people(unit_ids: list[int]) -> list[Any]:
    """Return (id, name) rows of the people who can be assigned in those units."""
    if not unit_ids:
        return []
    return list(db.session.execute(
        select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id.in_(unit_ids),
               Membership.role.in_([Role.SPOKESPERSON.value, Role.HEAD.value]))
        .distinct().order_by(User.name, User.id)
    ))


def vn_day_start(day: date) -> datetime:
    """Return the moment (UTC) a Vietnamese calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(UTC)


def apply_filters(stmt: Select, form: Any, *, words: bool = True) -> Select:
    """Narrow a request SELECT by the validated queue filter form (``forms.QueueFilterForm``).

    ``words=False``: every filter but the searched words (``search_walk`` tests them itself).
    """
    moment = now()
    state = form.state.data or "open"
    if state == "open":
        # The states written into the SQL, not bound: a prepared (generic) plan could not prove
        # that the partial indexes of open requests (due order, search words) apply.
        stmt = stmt.where(PressRequest.state.in_(bindparam("open_states", list(OPEN_CODES), expanding=True,
                                                           literal_execute=True)))
    elif state == "closed":
        stmt = stmt.where(PressRequest.state.not_in(OPEN_CODES))
    elif state != "all":
        stmt = stmt.where(PressRequest.state == state)
    if form.type.data:
        stmt = stmt.where(PressRequest.type == form.type.data)
    if form.channel.data:
        stmt = stmt.where(PressRequest.channel == form.channel.data)
    if form.unit.data and form.scope.data == "subtree":
        # The chosen unit and every unit below it (its path is a prefix of theirs).
        chosen = aliased(Unit)
        stmt = stmt.where(Unit.path.startswith(select(chosen.path).where(chosen.id == form.unit.data).scalar_subquery()))
    elif form.unit.data:
        stmt = stmt.where(PressRequest.unit_id == form.unit.data)
    if form.assignee.data:
        stmt = stmt.where(PressRequest.assignee_id == form.assignee.data)
    if form.overdue.data or form.due_soon.data:
        stmt = stmt.where(PressRequest.state.in_(OPEN_CODES))
        if form.overdue.data and form.due_soon.data:
            stmt = stmt.where(PressRequest.due_at <= due_soon_cutoff(moment))
        elif form.overdue.data:
            stmt = stmt.where(PressRequest.due_at < moment)
        else:
            stmt = stmt.where(PressRequest.due_at >= moment, PressRequest.due_at <= due_soon_cutoff(moment))
    if form.received_from.data:
        stmt = stmt.where(PressRequest.received_at >= vn_day_start(form.received_from.data))
    if form.received_to.data:
        stmt = stmt.where(PressRequest.received_at < vn_day_start(form.received_to.data + timedelta(days=1)))
    if words and form.q.data and (found := search_condition(form.q.data)) is not None:
        stmt = stmt.where(found)
    if form.sort.data == "received":
        return stmt.order_by(PressRequest.received_at.desc(), PressRequest.id.desc())
    return stmt.order_by(PressRequest.due_at, PressRequest.id)


REFERENCE_SHAPE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*-\d{4}-\d+")


def search_condition(query: str) -> Any:
    """Return the WHERE condition of a queue search, or None when the query has no words.

    A whole reference (AM-DHU-2026-00042), as people paste it from a letter or a mail, is looked
    up by its unique index when such a request exists: its parts (the year, the unit's prefix)
    occur in a large share of all requests, so matching them as words would cost what every
    request costs. Anything else matches words (``core.search.matching_condition``).
    """
    text = query.strip().upper()
    if REFERENCE_SHAPE.fullmatch(text) and db.session.execute(
            select(PressRequest.id).where(PressRequest.reference == text)).first() is not None:
        return PressRequest.reference == text
    return matching_condition(SEARCH_TYPE, query, PressRequest.id)


WALK_ROWS = 1000  # rows of the due order a search reads for a page before it falls back to its word index
COUNT_WALK_ROWS = 12_000  # the most rows of the due order a search over every state reads to count its matches


@dataclass(eq=False)
class SearchWalk:
    """A word search read along the due order, where its word index costs what every match costs.

    PostgreSQL (SQLite: ``FtsSearchWalk``).

    ``listed`` is the list without its words (every other filter, in ``(due_at, id)`` order)
    with each row's stored vector as ``words``; ``counts``: whether the total is counted along
    that order too (a search over every state). ``core.pagination`` calls ``count_to`` and
    ``rows`` (``Walk``).
    """

    listed: Select
    query: str
    counts: bool

    def _matches(self, stretch: Any) -> Any:
        return vector_matches(stretch.c.words, self.query)

    def count_to(self, limit: int) -> int | None:
        """Count the matches up to ``limit`` along the due order, or None to let the word index count.

        The word index hands over every match of every word before a count can stop: over every
        state that grows with the table (121,503 matches at 1,000,000 requests). The due order
        can stop at ``limit``. A first stretch of ``WALK_ROWS`` rows says how dense the matches
        are: a list that short is counted whole; matches too sparse to reach ``limit`` within
        ``COUNT_WALK_ROWS`` rows are left to the index (a rare word, which the index counts
        cheaply); otherwise the count reads on until ``limit`` matches, at most
        ``COUNT_WALK_ROWS`` rows. Short of ``limit``, the count is exact if the list ended within
        those rows (a commune's requests, say, where the word index would still gather the
        matches of the whole province), and None if it did not.

        The rows are the user's list in due order: for someone who sees a small share of a large
        table the index scan passes over the others' requests to find them (measured at 1,000,000
        requests: 40 ms for the first stretch and 210–320 ms for a whole count, for an overseer of
        0.6% of them; the word index took about 640 ms for the same page).
        """
        if not self.counts:
            return None
        sample = self.listed.limit(WALK_ROWS).subquery()
        read, matched = db.session.execute(
            select(func.count(), func.count().filter(self._matches(sample))).select_from(sample)).one()
        if read < WALK_ROWS:
            return min(matched, limit)
        if matched * COUNT_WALK_ROWS < limit * WALK_ROWS:
            return None
        stretch = self.listed.limit(COUNT_WALK_ROWS).subquery()
        counted = _rows_in(select(literal_column("1")).select_from(stretch).where(self._matches(stretch)).limit(limit))
        if counted >= limit:
            return counted
        stretch_ids = self.listed.with_only_columns(PressRequest.id).limit(COUNT_WALK_ROWS)
        return counted if _rows_in(stretch_ids) < COUNT_WALK_ROWS else None  # exact only if the list ended there

    def rows(self, position: Cursor | None, limit: int) -> list[Any] | None:
        """Return the page's ``(id, due_at)`` rows from the next ``WALK_ROWS`` rows of the list, or None.

        When those rows hold less than the page (the matches lie further on, behind a backlog of
        other requests, say) the page comes from the word index as usual, so a page never costs
        more than ``WALK_ROWS`` rows of walking.
        """
        ahead = self.listed if position is None else after(self.listed, position, PressRequest.due_at,
                                                           PressRequest.id, descending=False)
        stretch = ahead.limit(WALK_ROWS).subquery()
        rows = list(db.session.execute(
            self._matching(select(stretch.c.id, stretch.c.due_at), stretch)
            .order_by(stretch.c.due_at, stretch.c.id).limit(limit)
        ).all())
        return rows if len(rows) == limit else None

    def _matching(self, stmt: Select, stretch: Any) -> Select:
        """Return ``stmt`` (rows of ``stretch``) kept to the rows whose words match."""
        return stmt.where(self._matches(stretch))


@dataclass(eq=False)
class FtsSearchWalk(SearchWalk):
    """A word search over every state on SQLite: counted from the full-text index, read along the due order when dense.

    FTS5 cannot test one row's words cheaply (a prefix term is looked up afresh for each row),
    so the count walks the index's matches and looks each one up (``joined_to_matches``),
    stopping at the cap; ``id IN (matches)`` would first gather every match. A count that
    reaches the cap says the matches are many: the page then comes from the first
    ``WALK_ROWS`` rows of the due order, tested against the matches (``SearchWalk.rows``),
    instead of sorting every match. Under the cap the list's own statement reads the few
    matches. At 200,000 requests (SQLite), a province overseer's search over every state:
    count 10 → 3.5 ms and rows 39 → 9 ms for words 24,132 requests hold; for words every
    request holds, 42 → 12 ms and 134 → 30 ms.
    """

    dense: bool = False

    def _matching(self, stmt: Select, stretch: Any) -> Select:
        # Joined, not ``id IN (matches)``: 30 ms against 44 for words every request holds (200,000).
        return joined_to_matches(stmt, SEARCH_TYPE, self.query, stretch.c.id)

    def count_to(self, limit: int) -> int | None:
        """Count the matches up to ``limit`` from the full-text index outward (exact under the cap)."""
        joined = joined_to_matches(self.listed.with_only_columns(literal_column("1"), maintain_column_froms=True)
                                   .order_by(None), SEARCH_TYPE, self.query, PressRequest.id)
        if joined is None:
            return None
        counted = _rows_in(joined.limit(limit))
        self.dense = counted >= limit
        return counted

    def rows(self, position: Cursor | None, limit: int) -> list[Any] | None:
        """Return the page's rows from a stretch of the due order when the count reached the cap, else None."""
        return super().rows(position, limit) if self.dense else None


def _rows_in(stmt: Select) -> int:
    """Return how many rows a (limited) SELECT gives."""
    return int(db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def search_walk(stmt: Select, form: Any) -> SearchWalk | None:
    """Return the walk of a word search along the due order (``SearchWalk``), or None.

    For the lists in due order that an index reads in that order: on PostgreSQL the open
    requests (the default list; the partial ``(due_at, id)`` index of open requests) and every
    state (``ix_press_requests_due``); on SQLite every state (``FtsSearchWalk``: there the open
    list's own statement measured as fast). ``queue_page`` reads a first or cursor page along it
    when the words match more requests than it counts; over every state it also counts its own
    way. A whole reference is looked up by its unique index and needs no walk.
    """
    query = form.q.data or ""
    state = form.state.data or "open"
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if (not search_terms(query) or state not in ("open", "all") or (form.sort.data or "due") != "due"
            or REFERENCE_SHAPE.fullmatch(query.strip().upper())):
        return None
    unworded = apply_filters(stmt, form, words=False)
    if postgresql:
        return SearchWalk(unworded.with_only_columns(
            PressRequest.id, PressRequest.due_at, stored_vector(SEARCH_TYPE).label("words")), query, counts=state == "all")
    if state == "all":
        return FtsSearchWalk(unworded.with_only_columns(PressRequest.id, PressRequest.due_at), query, counts=True)
    return None


# --------------------------------------------------------------------------- intake pickers

JOURNALIST_MATCH_LIMIT = 20


def units_with(user: Any, permission: Permission) -> list[Unit]:
    """Return the active units where the user holds a permission."""
    return list(db.session.execute(
        select(Unit).where(Unit.is_active.is_(True), scope_condition(user, permission)).order_by(Unit.path)
    ).scalars())


def known_journalists(user: Any) -> Select:
    """Return a SELECT of the ids of journalists behind requests the user may see."""
    return visible_requests(user).with_only_columns(PressRequest.journalist_id).where(
        PressRequest.journalist_id.is_not(None))


def journalist_matches(user: Any, query: str | None) -> list[Journalist]:
    """Find journalists who wrote to the user's units before, by name, agency or e-mail.

    The accent-insensitive request index narrows the candidates; the names are then
    checked here so a word of a subject alone does not count as a match.
    """
    query = (query or "").strip()
    if not query:
        return []
    terms = fold(query).split()
    conditions = []
    ids = matching_ids(SEARCH_TYPE, query)
    if ids is not None:
        conditions.append(Journalist.id.in_(known_journalists(user).where(PressRequest.id.in_(ids))))
    if "@" in query:
        conditions.append(and_(Journalist.email == query.lower(), Journalist.id.in_(known_journalists(user))))
    if not conditions:
        return []
    candidates = db.session.execute(
        select(Journalist).where(or_(*conditions)).order_by(Journalist.name).limit(200)
    ).unique().scalars()
    found = []
    for j in candidates:
        haystack = " ".join([fold(j.name), fold(j.agency.name if j.agency else ""), (j.email or "").lower()])
        words = haystack.split()
        if all(any(w.startswith(t) for w in words) or t in haystack for t in terms):
            found.append(j)
    return found[:JOURNALIST_MATCH_LIMIT]


def picked_journalist(user: Any, raw: str | None) -> Journalist | None:
    """Return the picked journalist if the user may see them, else None."""
    journalist_id = id_or_none(raw) if raw else None
    if journalist_id is None:
        return None
    return db.session.execute(
        select(Journalist).where(Journalist.id == journalist_id, Journalist.id.in_(known_journalists(user)))
    ).unique().scalar_one_or_none()


# --------------------------------------------------------------------------- the request page


def unit_people(req: PressRequest) -> list[Any]:
    """Return (user, role) rows of the active people of the request's unit (two forms list them)."""
    return list(db.session.execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .options(lazyload(User.memberships))
        .where(Membership.unit_id == req.unit_id, User.active.is_(True))
        .order_by(User.name, User.id)
    ).all())


# --------------------------------------------------------------------------- the queue's page (issue 23)

QUEUE_COUNT_CAP = SEARCH_EXACT_UP_TO  # past this many the queue estimates its total ("khoảng N"; a search: "hơn N")


def queue_page(stmt: Select, *, sort: str, page: int, per_page: int, cursor: Cursor | None = None,
               walk: SearchWalk | None = None, searched: bool = False) -> CountedPagination:
    """Return a page of a filtered queue SELECT (``apply_filters``), by page number or after a cursor.

    The page's ids come from the sort index alone (``(due_at, id)`` of open requests, oldest
    first, or ``(received_at, id)``, newest first), stopping after one row more than the page;
    only the requests shown are then loaded with their unit, journalist and assignee. The total
    is counted up to ``QUEUE_COUNT_CAP`` in the same statement (a search: in one of its own,
    or along the due order), then estimated. With a ``cursor``
    the page starts after that row instead of at an offset, so the thousandth page costs what
    the first does (``core.pagination.paginate_counted``). ``walk``: the same search's
    walk along the due order (``search_walk``), for a long list's count and first pages.
    ``searched``: the list is a word search, whose total past the cap is "more than N", never the
    planner's guess.
    """
    key = PressRequest.received_at if sort == "received" else PressRequest.due_at
    return paginate_counted(stmt.with_only_columns(PressRequest.id, key), page=1 if cursor else page,
                            per_page=per_page, exact_up_to=QUEUE_COUNT_CAP, keys=(key, PressRequest.id),
                            after=cursor, descending=sort == "received", load=_listed,
                            walk=walk, estimate=not searched)


def _listed(ids: list[int]) -> list[PressRequest]:
    """Return the requests with these ids, in this order, with what a list row shows."""
    loaded = {r.id: r for r in db.session.execute(
        with_list_options(select(PressRequest).where(PressRequest.id.in_(ids)))).unique().scalars()}
    return [loaded[i] for i in ids if i in loaded]


# --------------------------------------------------------------------------- the queue's filter choices

FILTER_CHOICES_TTL = 60.0  # seconds; another server's change to units or people shows within this
_choice_cache: OrderedDict[tuple[Any, ...], tuple[float, list[Any], list[Any]]] = OrderedDict()
_CHOICE_CACHE_SIZE = 256
_generation = [0]
WATCHED_FOR_CHOICES = (Unit, Membership, User)


@dataclass(frozen=True)
class FilterChoices:
    """The units and people a user's queue can be filtered by, and the key they are cached under."""

    units: list[Any]
    people: list[Any]
    key: tuple[Any, ...]


def filter_choices(user: Any) -> FilterChoices:
    """Return the (id, name) rows of the units and people in the user's scope, cached per scope.

    Users with the same scope (the same units and subtrees) share one entry; a change to a unit,
    a membership or a user in this process starts a new generation, and an entry lives at most
    ``FILTER_CHOICES_TTL`` seconds, so another server's change shows within a minute.
    """
    ids, prefixes = scope_paths(user, Permission.VIEW_REQUESTS)
    key = (str(db.engine.url), _generation[0], tuple(sorted(ids)), tuple(sorted(prefixes)))
    moment = monotonic()
    hit = _choice_cache.get(key)
    if hit is not None and hit[0] > moment:
        _choice_cache.move_to_end(key)
        return FilterChoices(hit[1], hit[2], key)
    units = scope_units(user)
    people = scope_people([u.id for u in units])
    _choice_cache[key] = (moment + FILTER_CHOICES_TTL, units, people)
    while len(_choice_cache) > _CHOICE_CACHE_SIZE:
        _choice_cache.popitem(last=False)
    return FilterChoices(units, people, key)


@event.listens_for(Session, "after_flush")
def _units_or_people_changed(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, WATCHED_FOR_CHOICES):
            _generation[0] += 1
            session.info["spokes_choices_changed"] = True
            return


@event.listens_for(Session, "after_rollback")
def _changes_rolled_back(session: Session) -> None:
    # Rows flushed and then rolled back may have been cached meanwhile: forget them.
    if session.info.pop("spokes_choices_changed", False):
        _generation[0] += 1
