"""Who may manage which person, and who may read the audit log."""

from __future__ import annotations

from typing import Any

from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import has_permission, permissions_in
from spokes.units.models import Unit


def can_grant_in(actor: Any, unit: Unit) -> bool:
    """Return whether the actor may give someone a role in this unit (admins, in their subtree)."""
    return Permission.MANAGE_USERS in permissions_in(actor, unit)


def can_manage_user(actor: Any, user: Any) -> bool:
    """Return whether the actor may edit, reset or deactivate this person.

    Every membership of the person must lie in the actor's subtree: a district admin cannot
    take over a provincial account by resetting its password. A person with no membership
    left can be managed by any admin.
    """
    if not has_permission(actor, Permission.MANAGE_USERS):
        return False
    return all(can_grant_in(actor, m.unit) for m in user.memberships)


def can_view_audit(user: Any) -> bool:
    """Return whether the user may open the audit viewer (admins and overseers)."""
    return has_permission(user, Permission.VIEW_AUDIT)


def sees_unitless_events(user: Any) -> bool:
    """Return whether the user may see audit events tied to no unit (admins only)."""
    return any(m.role == Role.ADMIN.value for m in getattr(user, "memberships", ())) and has_permission(
        user, Permission.VIEW_AUDIT)
