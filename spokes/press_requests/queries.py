"""Read-side queries for request lists, always limited to what the user may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from spokes.auth.permissions import Permission
from spokes.core.clock import now
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import Unit
from spokes.units.policies import scope_condition

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


def with_list_options(stmt: Select) -> Select:
    """Eager-load what request lists show, so a page costs a fixed number of queries."""
    return stmt.options(selectinload(PressRequest.assignee))
