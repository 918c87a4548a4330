"""Who may change which unit and its designations. Views, services and templates ask here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_, select
from sqlalchemy.sql import Select

from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import can_manage_unit_designations as _can_manage_unit_designations
from spokes.auth.policies import permissions_in, scope_paths
from spokes.units.models import Unit


def can_manage_unit(user: Any, unit: Unit) -> bool:
    """Return whether the user may edit, move or deactivate this unit (admins, in their subtree)."""
    return Permission.MANAGE_UNITS in permissions_in(user, unit)


def can_create_root_unit(user: Any) -> bool:
    """Return whether the user may create a unit with no parent.

    Only an admin of a root unit (the top of a tree, e.g. the province) may: a unit with no
    parent lies outside every subtree, so no narrower admin could ever reach it again.
    """
    return any(
        m.role == Role.ADMIN.value and m.unit.parent_id is None
        for m in getattr(user, "memberships", ()) if getattr(user, "active", False)
    )


def can_manage_unit_designations(user: Any, unit: Unit) -> bool:
    """Heads manage their own unit's designations; admins manage any in their subtree."""
    return _can_manage_unit_designations(user, unit)


def may_pass_on_speaking(user: Any, unit_id: int) -> bool:
    """Tell whether the user may hand the unit's speaking on to someone else for a case (SP-05, SP-06).

    Only the unit's head may: an authorised speaker (or anyone else holding a right to
    authorise through a wider role) cannot delegate further. The one SP-06 rule for cases,
    read by the request page's policy and by the service that records the authorisation.
    """
    return any(m.unit_id == unit_id and m.role == Role.HEAD.value for m in getattr(user, "memberships", ()))


def scope_condition(user: Any, permission: Permission, unit_cls: Any = Unit) -> Any:
    """Return an SQL condition on ``Unit`` (or an alias of it) matching the units where the user holds the permission.

    The one unit-scope condition: every list, queue, report and menu of units filters with it.
    """
    ids, prefixes = scope_paths(user, permission)
    conditions: list[Any] = []
    if ids:
        conditions.append(unit_cls.id.in_(ids))
    conditions.extend(unit_cls.path.startswith(prefix) for prefix in prefixes)
    return or_(*conditions) if conditions else false()


def units_in_scope(user: Any, permission: Permission = Permission.MANAGE_UNITS) -> Select:
    """Return a SELECT of the units where the user holds the permission, in tree order."""
    return select(Unit).where(scope_condition(user, permission)).order_by(Unit.path)
