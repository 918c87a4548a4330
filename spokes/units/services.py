"""Unit tree maintenance and spokesperson directory rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select

from spokes.auth.permissions import Permission
from spokes.auth.policies import scope_paths
from spokes.core.clock import today_vn
from spokes.core.text import fold
from spokes.extensions import db
from spokes.units.models import Designation, DesignationKind, Unit, UnitKind


def current_designation_filter(on: date) -> Any:
    """Return the SQL condition for a designation in force on a date."""
    return and_(
        Designation.revoked_at.is_(None),
        Designation.valid_from <= on,
        or_(Designation.valid_to.is_(None), Designation.valid_to >= on),
    )


def set_parent(unit: Unit, parent: Unit | None) -> None:
    """Place a unit under a parent and refresh the materialised paths of its subtree."""
    old_path = unit.path if unit.id else None
    unit.parent = parent
    db.session.flush()  # the unit needs its id before its path can be built
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    unit.depth = (parent.depth + 1) if parent else 0
    if old_path and old_path != unit.path:
        for child in db.session.execute(
            select(Unit).where(Unit.path.startswith(old_path), Unit.id != unit.id)
        ).scalars():
            child.path = unit.path + child.path[len(old_path):]
            child.depth = child.path.count("/") - 2
    db.session.flush()


def default_prefix(code: str) -> str:
    """Return a reference prefix from a unit code (AM-DHU → AM-DHU)."""
    return fold(code).upper().replace(" ", "")[:20] or "SP"


def upsert_units(rows: Iterable[dict[str, str]]) -> tuple[int, int]:
    """Create or update units from rows with code, name, kind and parent_code; return (created, updated).

    Rows may come in any order as long as every parent appears in the rows or the database.
    """
    created = updated = 0
    pending = list(rows)
    by_code = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    progress = True
    while pending and progress:
        progress = False
        for row in list(pending):
            parent_code = (row.get("parent_code") or "").strip() or None
            if parent_code and parent_code not in by_code:
                continue
            parent = by_code.get(parent_code) if parent_code else None
            code = row["code"].strip()
            unit = by_code.get(code)
            kind = UnitKind(row["kind"].strip()).value
            if unit is None:
                unit = Unit(code=code, name=row["name"].strip(), name_folded=fold(row["name"]), kind=kind,
                            reference_prefix=default_prefix(code))
                db.session.add(unit)
                set_parent(unit, parent)
                by_code[code] = unit
                created += 1
            elif (unit.name, unit.kind, unit.parent_id) != (row["name"].strip(), kind, parent.id if parent else None):
                unit.name = row["name"].strip()
                unit.name_folded = fold(unit.name)
                unit.kind = kind
                if unit.parent_id != (parent.id if parent else None):
                    set_parent(unit, parent)
                updated += 1
            pending.remove(row)
            progress = True
    if pending:
        missing = ", ".join(sorted({r.get("parent_code", "") for r in pending}))
        raise ValueError(f"Unknown parent unit code(s): {missing}")
    db.session.flush()
    return created, updated


def read_units_csv(text: str) -> list[dict[str, str]]:
    """Parse a units CSV (code, name, kind, parent_code)."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def units_without_spokesperson(user: Any, on: date | None = None) -> list[Unit]:
    """Return active units in the user's reach that publish no head or designated spokesperson."""
    on = on or today_vn()
    ids, prefixes = scope_paths(user, Permission.VIEW_REPORTS)
    scope = [Unit.id.in_(ids)] if ids else []
    scope += [Unit.path.startswith(p) for p in prefixes]
    if not scope:
        return []
    has_speaker = exists().where(
        Designation.unit_id == Unit.id,
        Designation.kind.in_([DesignationKind.HEAD.value, DesignationKind.DESIGNATED.value]),
        current_designation_filter(on),
    )
    stmt = select(Unit).where(Unit.is_active.is_(True), or_(*scope), ~has_speaker).order_by(Unit.path)
    return list(db.session.execute(stmt).scalars())
