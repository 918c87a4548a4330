"""Who may do what, on which object. Views, services and templates all ask here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import abort
from flask_login import current_user

from spokes.auth.permissions import ROLE_PERMISSIONS, SUBTREE_ROLES, TREE_WIDE_PERMISSIONS, Permission, Role

if TYPE_CHECKING:
    from spokes.auth.models import User
    from spokes.units.models import Unit

F = TypeVar("F", bound=Callable[..., Any])


def _memberships(user: Any) -> Iterable[Any]:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return ()
    return user.memberships


def permissions_in(user: User | Any, unit: Unit) -> frozenset[Permission]:
    """Return the permissions the user holds in the given unit.

    A role reaches its own unit; overseer and admin roles reach the unit's whole subtree.
    """
    perms: set[Permission] = set()
    for m in _memberships(user):
        role = Role(m.role)
        if m.unit_id == unit.id or (role in SUBTREE_ROLES and unit.path.startswith(m.unit.path)):
            perms |= ROLE_PERMISSIONS[role]
    return frozenset(perms)


def has_permission(user: User | Any, permission: Permission, unit: Unit | None = None) -> bool:
    """Return whether the user holds the permission (in the unit, or anywhere when unit is None).

    A tree-wide permission (rulebooks, calendar) counts only when held at a top-level unit.
    """
    if permission in TREE_WIDE_PERMISSIONS:
        return any(permission in ROLE_PERMISSIONS[Role(m.role)] and m.unit.parent_id is None
                   for m in _memberships(user))
    if unit is not None:
        return permission in permissions_in(user, unit)
    return any(permission in ROLE_PERMISSIONS[Role(m.role)] for m in _memberships(user))


def roles_of(user: User | Any) -> frozenset[Role]:
    """Return every role the user holds somewhere."""
    return frozenset(Role(m.role) for m in _memberships(user))


def scope_paths(user: User | Any, permission: Permission) -> tuple[list[int], list[str]]:
    """Return (unit ids, subtree path prefixes) where the user holds the permission.

    Listing queries use this to filter in SQL: a unit matches when its id is in the first
    list, or its path starts with one of the prefixes.
    """
    ids: list[int] = []
    prefixes: list[str] = []
    for m in _memberships(user):
        role = Role(m.role)
        if permission not in ROLE_PERMISSIONS[role]:
            continue
        if role in SUBTREE_ROLES:
            prefixes.append(m.unit.path)
        else:
            ids.append(m.unit_id)
    return ids, prefixes


def permission_required(permission: Permission) -> Callable[[F], F]:
    """Coarse check: the user must hold the permission in some unit (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from spokes.extensions import login_manager

                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def can_manage_unit_designations(user: User | Any, unit: Unit) -> bool:
    """Heads manage their own unit's designations; admins manage any in their subtree."""
    return Permission.MANAGE_DESIGNATIONS in permissions_in(user, unit)


def can_view_unit_requests(user: User | Any, unit: Unit) -> bool:
    """Return whether the user may see the requests of this unit."""
    return Permission.VIEW_REQUESTS in permissions_in(user, unit)


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
