"""Install and update the shipped law in the database, keeping what an admin edited.

For every shipped item (rulebook, rule, refusal ground, official calendar day) three values
are compared: the shipped one (this release), the stored row, and the snapshot of what was
last installed (ShippedLawItem). A row that differs from its snapshot was edited locally and
is kept; a shipped value that differs from the snapshot is a change in a new release and is
applied, unless the row was edited. Rows installed before snapshots existed are compared with
the earlier releases in law_history/ instead.

Services: they flush and audit, never commit.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from spokes.audit import services as audit
from spokes.deadlines import shipped
from spokes.deadlines.models import (
    CalendarDay,
    CalendarDaySource,
    RefusalGround,
    Rule,
    Rulebook,
    ShippedLawItem,
)
from spokes.extensions import db

log = logging.getLogger(__name__)


class ItemState(enum.StrEnum):
    """Where one shipped item stands in this database."""

    IN_SYNC = "in_sync"  # stored as shipped
    MISSING = "missing"  # shipped, not stored yet: sync installs it
    SHIPPED_CHANGED = "shipped_changed"  # a new release changed it; no local edit: sync applies it
    LOCAL_EDIT = "local_edit"  # an admin changed it; nothing new shipped: kept
    CONFLICT = "conflict"  # both changed: the admin's value is kept, the release's is reported
    DELETED_LOCALLY = "deleted_locally"  # installed once, removed by an admin: not reinstalled
    LOCAL_ONLY = "local_only"  # stored, never shipped (an admin's rulebook version or day)

    @property
    def is_drift(self) -> bool:
        """Return True if sync has something to apply."""
        return self in (ItemState.MISSING, ItemState.SHIPPED_CHANGED)


@dataclass(frozen=True)
class ItemStatus:
    """One shipped or stored item, its state and the fields that differ."""

    key: str
    state: ItemState
    fields: tuple[str, ...] = ()


@dataclass
class SyncReport:
    """What status found or sync did."""

    items: list[ItemStatus] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    def count(self, state: ItemState) -> int:
        """Return how many items are in a state."""
        return sum(1 for i in self.items if i.state is state)

    @property
    def drift(self) -> list[ItemStatus]:
        """Return the items sync would change."""
        return [i for i in self.items if i.state.is_drift]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _stored_rows() -> dict[str, Any]:
    rows: dict[str, Any] = {}
    books = db.session.execute(select(Rulebook)).scalars().all()
    codes = {b.id: b.code for b in books}
    for book in books:
        rows[shipped.rulebook_key(book.code)] = book
    for rule in db.session.execute(select(Rule)).scalars():
        rows[shipped.rule_key(codes[rule.rulebook_id], rule.request_type, rule.milestone)] = rule
    for ground in db.session.execute(select(RefusalGround)).scalars():
        rows[shipped.ground_key(codes[ground.rulebook_id], ground.code)] = ground
    for day in db.session.execute(select(CalendarDay)).scalars():
        rows[shipped.calendar_key(day.day)] = day
    return rows


def _fields_of(key: str) -> tuple[str, ...]:
    kind = key.split(":", 1)[0]
    return {
        "rulebook": shipped.RULEBOOK_FIELDS, "rule": shipped.RULE_FIELDS,
        "ground": shipped.GROUND_FIELDS, "calendar": shipped.CALENDAR_FIELDS,
    }[kind]


def _row_values(key: str, row: Any) -> dict[str, Any]:
    values = {name: _iso(getattr(row, name)) for name in _fields_of(key)}
    if "reminder_offsets" in values:
        values["reminder_offsets"] = list(values["reminder_offsets"] or [])
    return values


def _diff(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, ...]:
    return tuple(name for name in a if a.get(name) != b.get(name))


def _baseline(key: str, row_values: dict[str, Any], snapshot: ShippedLawItem | None,
              history: list[dict[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Return the values last installed for a row: its snapshot, or a matching earlier release."""
    if snapshot is not None:
        return dict(snapshot.values)
    for release in reversed(history):
        old = release.get(key)
        if old is not None and not _diff(old, row_values):
            return old
    return None


def _classify(key: str, wanted: dict[str, Any] | None, row: Any, snapshot: ShippedLawItem | None,
              history: list[dict[str, dict[str, Any]]]) -> ItemStatus:
    if wanted is None:
        return ItemStatus(key, ItemState.LOCAL_ONLY)
    if row is None:
        return ItemStatus(key, ItemState.DELETED_LOCALLY if snapshot is not None else ItemState.MISSING)
    current = _row_values(key, row)
    if not _diff(wanted, current):
        return ItemStatus(key, ItemState.IN_SYNC)
    if key.startswith("calendar:") and row.source != CalendarDaySource.SHIPPED.value:
        # An admin's own entry on a day the release also sets: the admin's entry stands.
        return ItemStatus(key, ItemState.CONFLICT, _diff(wanted, current))
    base = _baseline(key, current, snapshot, history)
    if base is None:
        return ItemStatus(key, ItemState.CONFLICT, _diff(wanted, current))
    edited = _diff(base, current)
    changed = _diff(wanted, base)
    if edited and changed:
        return ItemStatus(key, ItemState.CONFLICT, _diff(wanted, current))
    if edited:
        return ItemStatus(key, ItemState.LOCAL_EDIT, edited)
    return ItemStatus(key, ItemState.SHIPPED_CHANGED, changed)


def status() -> SyncReport:
    """Compare the shipped law with the stored law; change nothing."""
    wanted = shipped.shipped_items()
    rows = _stored_rows()
    snapshots = {s.key: s for s in db.session.execute(select(ShippedLawItem)).scalars()}
    history = shipped.history_items()
    report = SyncReport()
    for key in wanted:
        report.items.append(_classify(key, wanted[key], rows.get(key), snapshots.get(key), history))
    for key in rows:
        if key not in wanted:
            report.items.append(ItemStatus(key, ItemState.LOCAL_ONLY))
    return report


def _snapshot(key: str, values: dict[str, Any], snapshots: dict[str, ShippedLawItem]) -> None:
    snap = snapshots.get(key)
    if snap is None:
        snap = ShippedLawItem(key=key, values=dict(values))
        db.session.add(snap)
        snapshots[key] = snap
    elif snap.values != values:
        snap.values = dict(values)


def _db_value(name: str, value: Any) -> Any:
    if name in ("valid_from", "valid_to") and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _insert(key: str, values: dict[str, Any], books: dict[str, Rulebook]) -> Any:
    kind, rest = key.split(":", 1)
    data = {name: _db_value(name, v) for name, v in values.items()}
    if kind == "rulebook":
        row: Any = Rulebook(code=rest, **data)
        books[rest] = row
    elif kind == "rule":
        code, request_type, milestone = rest.split("/")
        row = Rule(request_type=request_type, milestone=milestone, **data)
        books[code].rules.append(row)
    elif kind == "ground":
        code, ground = rest.split("/")
        row = RefusalGround(code=ground, **data)
        books[code].refusal_grounds.append(row)
    else:
        row = CalendarDay(day=date.fromisoformat(rest), source=CalendarDaySource.SHIPPED.value, **data)
    db.session.add(row)
    return row


def sync(actor: Any | None = None, *, dry_run: bool = False) -> SyncReport:
    """Install what is missing and apply shipped changes, keeping local edits; audit each change.

    With dry_run nothing is written: the report says what sync would do. Returns the report
    made before the changes, with ``applied`` listing the keys changed.
    """
    report = status()
    if dry_run:
        return report
    wanted = shipped.shipped_items()
    rows = _stored_rows()
    books = {b.code: b for b in db.session.execute(select(Rulebook)).scalars()}
    snapshots = {s.key: s for s in db.session.execute(select(ShippedLawItem)).scalars()}
    for item in report.items:
        key = item.key
        if item.state is ItemState.MISSING:
            row = _insert(key, wanted[key], books)
            db.session.flush()
            _snapshot(key, wanted[key], snapshots)
            audit.record("law.installed", actor=actor, obj_type=key.split(":", 1)[0], obj_id=row.id,
                         after={"key": key, **wanted[key]})
            report.applied.append(key)
        elif item.state is ItemState.SHIPPED_CHANGED:
            row = rows[key]
            before = {name: _iso(getattr(row, name)) for name in item.fields}
            for name in item.fields:
                setattr(row, name, _db_value(name, wanted[key][name]))
            db.session.flush()
            _snapshot(key, wanted[key], snapshots)
            audit.record("law.updated", actor=actor, obj_type=key.split(":", 1)[0], obj_id=row.id,
                         before={"key": key, **before},
                         after={"key": key, **{n: wanted[key][n] for n in item.fields}})
            report.applied.append(key)
        elif item.state is ItemState.IN_SYNC:
            _snapshot(key, wanted[key], snapshots)
        elif item.state is ItemState.LOCAL_EDIT and key not in snapshots:
            # Adopt the release it was installed from, so the edit stays visible as an edit.
            base = _baseline(key, _row_values(key, rows[key]), None, shipped.history_items())
            if base is not None:
                _snapshot(key, base, snapshots)
    db.session.flush()
    kept = report.count(ItemState.LOCAL_EDIT) + report.count(ItemState.CONFLICT)
    if report.applied or kept:
        log.info("shipped law sync: %d applied, %d local edits kept", len(report.applied), kept)
    return report

