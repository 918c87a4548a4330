"""Who may read the audit log, and which of its events."""

from __future__ import annotations

from typing import Any

from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import has_permission


def can_view_audit(user: Any) -> bool:
    """Return whether the user may open the audit viewer (admins and overseers)."""
    return has_permission(user, Permission.VIEW_AUDIT)


def sees_unitless_events(user: Any) -> bool:
    """Return whether the user may see audit events tied to no unit (admins only)."""
    return any(m.role == Role.ADMIN.value for m in getattr(user, "memberships", ())) and has_permission(
        user, Permission.VIEW_AUDIT)
