"""Reorganising units: merging units into a new or an existing one (preview, then carry out).

Services check, change, flush and audit; the view or the demo seed commits once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from spokes.audit import services as audit
from spokes.auth.models import Membership
from spokes.core import events
from spokes.core.clock import now, today_vn
from spokes.core.db import rowcount
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.publishing.models import Publication, RecurringDuty
from spokes.units.models import Designation, Unit
from spokes.units.policies import can_manage_unit
from spokes.units.services import UnitData, create_unit, set_parent, unit_snapshot

log = logging.getLogger(__name__)

_OPEN = [s.value for s in OPEN_STATES]


@dataclass
class MergeData:
    """Merge the source units into an existing target, or into a new unit described by ``new_unit``."""

    source_ids: list[int]
    merge_date: date
    target_id: int | None = None
    new_unit: UnitData | None = None
    move_memberships: bool = True


@dataclass
class MergeCounts:
    """What moves or ends for one source unit."""

    unit: Unit
    open_requests: int = 0
    closed_requests: int = 0
    publications: int = 0
    designations: int = 0
    memberships: int = 0
    children: int = 0
    recurring_duties: int = 0


@dataclass
class MergePlan:
    """A checked merge, ready to show as a preview or to carry out."""

    sources: list[Unit]
    target: Unit | None
    new_unit: UnitData | None
    merge_date: date
    move_memberships: bool
    counts: list[MergeCounts] = field(default_factory=list)

    @property
    def totals(self) -> MergeCounts:
        """Return the sum over all sources."""
        total = MergeCounts(unit=self.target)  # type: ignore[arg-type]
        for c in self.counts:
            for name in ("open_requests", "closed_requests", "publications", "designations", "memberships",
                         "children", "recurring_duties"):
                setattr(total, name, getattr(total, name) + getattr(c, name))
        return total


MAX_MERGE_SOURCES = 30


def _grouped(stmt: Select) -> dict[int, int]:
    return {unit_id: count for unit_id, count in db.session.execute(stmt).all()}


def plan_merge(actor: Any, data: MergeData) -> MergePlan:
    """Check a merge and count what it will move or end; write nothing."""
    ids = list(dict.fromkeys(data.source_ids))
    if not ids:
        raise DomainError(_("Vui lòng chọn ít nhất một đơn vị được hợp nhất."), status=400)
    if len(ids) > MAX_MERGE_SOURCES:
        raise DomainError(_("Mỗi lần hợp nhất tối đa %(n)d đơn vị.", n=MAX_MERGE_SOURCES), status=400)
    sources = sorted(db.session.execute(select(Unit).where(Unit.id.in_(ids))).scalars(), key=lambda u: fold(u.name))
    if len(sources) != len(ids):
        raise DomainError(_("Không tìm thấy một trong các đơn vị được hợp nhất."), status=400)
    for unit in sources:
        if actor is not None and not can_manage_unit(actor, unit):
            raise NotAllowed(_("Bạn không có quyền quản trị đơn vị %(name)s.", name=unit.name))
        if not unit.is_active:
            raise DomainError(_("Đơn vị %(name)s đã ngừng hoạt động hoặc đã được hợp nhất.", name=unit.name), status=400)
        for other in sources:
            if other.id != unit.id and other.path.startswith(unit.path):
                raise DomainError(_("Không thể hợp nhất %(a)s cùng với đơn vị cấp dưới của nó (%(b)s).",
                                    a=unit.name, b=other.name), status=400)
    if data.merge_date > today_vn():
        raise DomainError(_("Ngày hợp nhất không thể ở tương lai."), status=400)

    def inside_a_source(unit: Unit) -> bool:
        return any(unit.path.startswith(s.path) for s in sources)

    target = None
    if data.target_id is not None:
        target = db.session.get(Unit, data.target_id)
        if target is None:
            raise DomainError(_("Không tìm thấy đơn vị nhận."), status=400)
        if actor is not None and not can_manage_unit(actor, target):
            raise NotAllowed(_("Bạn không có quyền quản trị đơn vị %(name)s.", name=target.name))
        if not target.is_active:
            raise DomainError(_("Đơn vị nhận đã ngừng hoạt động."), status=400)
        if inside_a_source(target):
            raise DomainError(_("Đơn vị nhận không được là một đơn vị được hợp nhất hoặc cấp dưới của nó."), status=400)
    elif data.new_unit is not None:
        parent = db.session.get(Unit, data.new_unit.parent_id) if data.new_unit.parent_id is not None else None
        if parent is not None and inside_a_source(parent):
            raise DomainError(_("Đơn vị mới không được nằm dưới một đơn vị sắp hợp nhất."), status=400)
    else:
        raise DomainError(_("Vui lòng chọn đơn vị nhận hoặc nhập thông tin đơn vị mới."), status=400)

    closed = PressRequest.state.not_in(_OPEN)
    open_ = PressRequest.state.in_(_OPEN)
    by_unit = PressRequest.unit_id.in_(ids)
    req_open = _grouped(select(PressRequest.unit_id, func.count()).where(by_unit, open_).group_by(PressRequest.unit_id))
    req_closed = _grouped(select(PressRequest.unit_id, func.count()).where(by_unit, closed).group_by(PressRequest.unit_id))
    pubs = _grouped(select(Publication.unit_id, func.count()).where(Publication.unit_id.in_(ids))
                    .group_by(Publication.unit_id))
    last_day = data.merge_date - timedelta(days=1)
    designations = _grouped(select(Designation.unit_id, func.count()).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None),
        or_(Designation.valid_to.is_(None), Designation.valid_to > last_day)).group_by(Designation.unit_id))
    members = _grouped(select(Membership.unit_id, func.count()).where(Membership.unit_id.in_(ids))
                       .group_by(Membership.unit_id))
    children = _grouped(select(Unit.parent_id, func.count()).where(Unit.parent_id.in_(ids)).group_by(Unit.parent_id))
    duties = _grouped(select(RecurringDuty.unit_id, func.count()).where(RecurringDuty.unit_id.in_(ids))
                      .group_by(RecurringDuty.unit_id))
    plan = MergePlan(sources=sources, target=target, new_unit=data.new_unit, merge_date=data.merge_date,
                     move_memberships=data.move_memberships)
    for unit in sources:
        plan.counts.append(MergeCounts(
            unit=unit, open_requests=req_open.get(unit.id, 0), closed_requests=req_closed.get(unit.id, 0),
            publications=pubs.get(unit.id, 0), designations=designations.get(unit.id, 0),
            memberships=members.get(unit.id, 0), children=children.get(unit.id, 0),
            recurring_duties=duties.get(unit.id, 0),
        ))
    return plan


def merge_units(actor: Any, data: MergeData) -> Unit:
    """Merge the source units into the target (new or existing) in one transaction; return the target.

    - Every request (open or closed) and every publication moves to the target with a bulk
      UPDATE; references and slugs are unchanged, so old links keep working. Each moved
      request gets a public ``request.unit_merged`` event on its own timeline.
    - Child units, recurring duties and "unknown unit" routing move to the target.
    - Memberships move to the target (duplicates dropped), or end when ``move_memberships``
      is False, so the staff who hold the moved requests can go on working on them.
    - The sources' designations end the day before the merge date (or are revoked if they
      had not started yet); the sources are deactivated with ``merged_into_id`` set.
    - One ``unit.merge`` event records before and after.
    """
    plan = plan_merge(actor, data)
    target = plan.target or create_unit(actor, plan.new_unit)  # type: ignore[arg-type]
    ids = [u.id for u in plan.sources]
    moment = now()
    last_day = data.merge_date - timedelta(days=1)
    before = {
        "sources": [unit_snapshot(u) | {"id": u.id} for u in plan.sources],
        "memberships": [
            {"user_id": m.user_id, "unit_id": m.unit_id, "role": m.role}
            for m in db.session.execute(select(Membership).where(Membership.unit_id.in_(ids))
                                        .order_by(Membership.id)).scalars()
        ],
    }

    # Children first, while the ORM still holds consistent objects (set_parent rewrites paths).
    children = list(db.session.execute(select(Unit).where(Unit.parent_id.in_(ids)).order_by(Unit.id)).scalars())
    for child in children:
        set_parent(child, target)
    for unit in plan.sources:
        unit.is_active = False
        unit.deactivated_at = moment
        unit.merged_into_id = target.id
    db.session.flush()

    moved = db.session.execute(
        select(PressRequest.id, PressRequest.reference, PressRequest.unit_id).where(PressRequest.unit_id.in_(ids))
        .order_by(PressRequest.id)
    ).all()
    names = {u.id: (u.code, u.name) for u in plan.sources}

    def bulk(stmt: Any) -> int:
        return rowcount(db.session.execute(stmt.execution_options(synchronize_session=False)))

    requests_moved = bulk(update(PressRequest).where(PressRequest.unit_id.in_(ids))
                          .values(unit_id=target.id, updated_at=moment))
    publications_moved = bulk(update(Publication).where(Publication.unit_id.in_(ids)).values(unit_id=target.id))
    duties_moved = bulk(update(RecurringDuty).where(RecurringDuty.unit_id.in_(ids)).values(unit_id=target.id))
    bulk(update(Unit).where(Unit.intake_overseer_id.in_(ids)).values(intake_overseer_id=target.id))
    designations_ended = bulk(update(Designation).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None), Designation.valid_from <= last_day,
        or_(Designation.valid_to.is_(None), Designation.valid_to > last_day)).values(valid_to=last_day))
    designations_revoked = bulk(update(Designation).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None), Designation.valid_from > last_day,
    ).values(revoked_at=moment, revoked_reason=_("Đơn vị đã được hợp nhất vào %(name)s.", name=target.name)))

    if data.move_memberships:
        other = aliased(Membership)
        already_in_target = exists().where(other.unit_id == target.id, other.user_id == Membership.user_id,
                                           other.role == Membership.role)
        twice_in_sources = exists().where(other.unit_id.in_(ids), other.user_id == Membership.user_id,
                                          other.role == Membership.role, other.id < Membership.id)
        bulk(delete(Membership).where(Membership.unit_id.in_(ids), already_in_target))
        bulk(delete(Membership).where(Membership.unit_id.in_(ids), twice_in_sources))
        bulk(update(Membership).where(Membership.unit_id.in_(ids)).values(unit_id=target.id))
    else:
        bulk(delete(Membership).where(Membership.unit_id.in_(ids)))
    db.session.expire_all()  # the bulk statements bypassed the identity map

    audit.record_many("request.unit_merged", [
        {"obj_id": req_id, "unit_id": target.id,
         "before": {"unit_code": names[unit_id][0], "unit": names[unit_id][1]},
         "after": {"reference": reference, "from_unit": names[unit_id][1], "to_unit": target.name,
                   "unit_code": target.code, "merge_date": data.merge_date}}
        for req_id, reference, unit_id in moved
    ], actor=actor, obj_type="request", public=True)
    audit.record("unit.merge", actor=actor, obj_type="unit", obj_id=target.id, unit_id=target.id, before=before, after={
        "target": {"id": target.id, "code": target.code, "name": target.name},
        "merged_into": [u.id for u in plan.sources], "merge_date": data.merge_date,
        "requests_moved": requests_moved, "publications_moved": publications_moved,
        "recurring_duties_moved": duties_moved, "children_moved": [c.id for c in children],
        "designations_ended": designations_ended, "designations_revoked": designations_revoked,
        "memberships": "moved" if data.move_memberships else "ended",
    })
    events.unit_merged.send(target, merged=list(plan.sources), request_ids=[req_id for req_id, _ref, _unit in moved],
                            actor=actor)
    log.info("merged units %s into %s (%d requests)", ids, target.code, requests_moved)
    return target
