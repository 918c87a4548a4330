"""The admin home: counts and compliance warnings across the units in the admin's reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission
from spokes.core.clock import today_vn
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import Designation, Unit
from spokes.units.policies import scope_condition
from spokes.units.services import current_designation_filter, units_without_spokesperson


_OPEN = [s.value for s in OPEN_STATES]


@dataclass
class Overview:
    """Counts and warnings on the admin home."""

    units_active: int
    units_inactive: int
    people_active: int
    people_inactive: int
    designations_current: int
    open_requests: int
    noncompliant_units: list[Unit]


def overview(actor: Any) -> Overview:
    """Return the admin home's counts within the actor's subtree and the units out of compliance."""
    in_scope = scope_condition(actor, Permission.MANAGE_UNITS)
    unit_ids = select(Unit.id).where(in_scope)
    units = dict(db.session.execute(select(Unit.is_active, func.count()).where(in_scope).group_by(Unit.is_active)).all())
    people_ids = select(Membership.user_id).where(Membership.unit_id.in_(unit_ids))
    people = dict(db.session.execute(select(User.active, func.count()).where(User.id.in_(people_ids))
                                     .group_by(User.active)).all())
    designations = db.session.execute(select(func.count()).select_from(Designation).where(
        Designation.unit_id.in_(unit_ids), current_designation_filter(today_vn()))).scalar_one()
    open_requests = db.session.execute(select(func.count()).select_from(PressRequest).where(
        PressRequest.unit_id.in_(unit_ids), PressRequest.state.in_(_OPEN))).scalar_one()
    return Overview(
        units_active=units.get(True, 0), units_inactive=units.get(False, 0),
        people_active=people.get(True, 0), people_inactive=people.get(False, 0),
        designations_current=designations, open_requests=open_requests,
        noncompliant_units=units_without_spokesperson(actor),
    )
