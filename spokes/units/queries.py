"""Read models of units for pages and menus: who belongs to a unit, the units in reach in tree order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spokes.auth.models import Membership
from spokes.auth.permissions import Permission
from spokes.core.text import fold
from spokes.extensions import db
from spokes.units.models import Unit
from spokes.units.policies import scope_condition


def unit_members(unit: Unit) -> list[Membership]:
    """Return the memberships of a unit with their people."""
    return list(db.session.execute(
        select(Membership).where(Membership.unit_id == unit.id).options(selectinload(Membership.user))
        .order_by(Membership.role, Membership.id)
    ).scalars())


def units_for_choices(actor: Any, permission: Permission = Permission.MANAGE_UNITS, *, active_only: bool = True) -> list[Unit]:
    """Return the units the actor holds the permission in, for select menus (tree order)."""
    stmt = select(Unit).where(scope_condition(actor, permission))
    if active_only:
        stmt = stmt.where(Unit.is_active.is_(True))
    units = list(db.session.execute(stmt).scalars())
    return tree_order(units)


def active_units() -> list[Unit]:
    """Return every active unit in tree order (e.g. to pick the "unknown unit" overseer anywhere)."""
    return tree_order(list(db.session.execute(select(Unit).where(Unit.is_active.is_(True))).scalars()))


def tree_order(units: list[Unit]) -> list[Unit]:
    """Order units depth-first by name, so a menu reads like the tree."""
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        by_parent.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[Unit] = []

    def walk(parent: int | None) -> None:
        for u in sorted(by_parent.get(parent, []), key=lambda x: fold(x.name)):
            out.append(u)
            walk(u.id)

    walk(None)
    return out
