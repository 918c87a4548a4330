"""Who answers a request: the unit's speaker, reassignment and case authorisations (SP-05, SP-06).

An assignment is the workflow action ``assign``: ``_assign`` changes the state only through
``transition()`` and always writes the assignment history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from spokes.audit import services as audit
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import permissions_in
from spokes.core import events
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.press_requests import workflow
from spokes.press_requests.models import Assignment, PressRequest
from spokes.press_requests.workflow import Action
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.policies import may_pass_on_speaking
from spokes.units.services import current_designation_filter
from spokes.press_requests.services.transitions import (
    _public_person,
    _snapshot,
    check_transition,
    lock_request,
    transition,
)

log = logging.getLogger(__name__)


def current_speaker(unit: Unit, on: date | None = None) -> tuple[User | None, Designation | None]:
    """Return who speaks for a unit today: the designated spokesperson, else the head.

    Falls back to a user holding the head role when no head designation is recorded, since the
    head speaks by law (ND 09 Điều 3; RULES.md SP-03).
    """
    on = on or today_vn()
    rows = db.session.execute(
        select(Designation)
        .where(
            Designation.unit_id == unit.id,
            Designation.kind.in_([DesignationKind.DESIGNATED.value, DesignationKind.HEAD.value]),
            current_designation_filter(on),
        )
        .order_by(Designation.valid_from.desc(), Designation.id.desc())
    ).scalars().all()
    for kind in (DesignationKind.DESIGNATED.value, DesignationKind.HEAD.value):
        for d in rows:
            if d.kind == kind and d.user.active:
                return d.user, d
    head = db.session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id, Membership.role == Role.HEAD.value, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    ).scalar_one_or_none()
    return head, None


def hand_over(req: PressRequest, user: User, *, by: User | None, reason: str | None,
              designation: Designation | None = None) -> None:
    """Close the open assignment and record the new one, with its history row; no state change, no audit.

    Part of a transition: ``_assign`` (the action ``assign``) or ``reopen``, whose own audit
    event then carries the new assignee.
    """
    moment = now()
    for previous in db.session.execute(
        select(Assignment).where(Assignment.request_id == req.id, Assignment.ended_at.is_(None))
    ).scalars():
        previous.ended_at = moment
    db.session.add(Assignment(
        request_id=req.id, unit_id=req.unit_id, user_id=user.id, assigned_by_id=by.id if by else None,
        reason=reason, designation_id=designation.id if designation else None,
    ))
    req.assignee_id = user.id
    req.assignee = user
    req.assigned_at = moment


def _assign(
    req: PressRequest, user: User, *, by: User | None, reason: str | None,
    designation: Designation | None = None, automatic: bool = False, compliance_gap: bool = False,
) -> None:
    """Hand the request to a user and keep the assignment history.

    ``compliance_gap`` marks an automatic fallback to a head because the unit publishes no
    spokesperson; the audit event carries it and the stored reason says so in the history.
    """
    # The table says where an assignment leads from the current state; the callers have checked
    # the rights (reassign, authorise) or act for the system (intake, transfer, expiry).
    target = workflow.next_state(req.state, Action.ASSIGN)
    if target is None:
        raise DomainError(_("Yêu cầu đã đóng; không thể giao xử lý."), status=409)
    before = _snapshot(req)
    hand_over(req, user, by=by, reason=reason, designation=designation)
    transition(by, req, Action.ASSIGN, checked=target, before=before, public=True,
               actor_label=None if by else "system",
               audit_after={"assignee": _public_person(user), "reason": reason, "automatic": automatic,
                            **({"compliance_gap": True} if compliance_gap else {})})
    if compliance_gap:
        log.warning("request %s: unit %s publishes no spokesperson; assigned to head %s", req.reference,
                    req.unit_id, user.id)
    events.request_assigned.send(req, user=user, actor=by)


def eligible_assignees(unit: Unit) -> list[User]:
    """Return the active users who may answer for the unit (spokespersons and heads)."""
    return list(
        db.session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.unit_id == unit.id,
                Membership.role.in_([Role.SPOKESPERSON.value, Role.HEAD.value]),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.name)
        ).scalars()
    )


def reassign(actor: User, req: PressRequest, assignee: User, reason: str) -> None:
    """Let the head (or an overseer) give the request to another spokesperson, with a reason."""
    check_transition(actor, req, Action.ASSIGN)
    if not reason.strip():
        raise DomainError(_("Vui lòng nêu lý do giao lại."), status=400)
    allowed = {u.id for u in eligible_assignees(req.unit)} | _authorised_for_case(req)
    if assignee.id not in allowed:
        raise DomainError(_("Người được giao phải là người phát ngôn, người đứng đầu hoặc người được ủy quyền của đơn vị."), status=400)
    if assignee.id == req.assignee_id:
        raise DomainError(_("Yêu cầu đang được giao cho người này."), status=409)
    _assign(req, assignee, by=actor, reason=reason.strip())


def _authorised_for_case(req: PressRequest, on: date | None = None) -> set[int]:
    on = on or today_vn()
    return set(
        db.session.execute(
            select(Designation.user_id).where(
                Designation.case_request_id == req.id,
                # Given by the unit that handles the case now: one from a unit the request left no longer counts.
                Designation.unit_id == req.unit_id,
                Designation.kind == DesignationKind.AUTHORISED.value,
                current_designation_filter(on),
            )
        ).scalars()
    )


@dataclass
class CaseAuthorisation:
    """A written authorisation to speak on one case (RULES.md SP-05)."""

    user: User
    title: str
    document_number: str
    document_date: date
    valid_to: date


def authorise_for_case(actor: User, req: PressRequest, data: CaseAuthorisation) -> Designation:
    """Authorise a deputy to speak on this one case until an end date, and assign it to them.

    The authorisation is in writing, for one case, with a definite term, and an authorised
    speaker cannot pass it on (SP-05, SP-06).
    """
    if Permission.AUTHORISE_SPOKESPERSON not in permissions_in(actor, req.unit):
        raise NotAllowed(_("Chỉ người đứng đầu đơn vị mới được ủy quyền phát ngôn."))
    if not req.is_open:
        raise DomainError(_("Yêu cầu đã đóng; không thể ủy quyền phát ngôn."), status=409)
    if not may_pass_on_speaking(actor, req.unit_id):
        raise DomainError(_("Người được ủy quyền phát ngôn không được ủy quyền tiếp cho người khác."), status=409)
    today = today_vn()
    if data.valid_to < today:
        raise DomainError(_("Ngày hết hạn ủy quyền phải từ hôm nay trở đi."), status=400)
    if data.document_date > today:
        raise DomainError(_("Ngày văn bản ủy quyền không thể ở tương lai."), status=400)
    if not data.user.active or not any(m.unit_id == req.unit_id for m in data.user.memberships):
        raise DomainError(_("Người được ủy quyền phải là cán bộ đang công tác tại đơn vị."), status=400)
    designation = Designation(
        unit_id=req.unit_id, user_id=data.user.id, kind=DesignationKind.AUTHORISED.value,
        title=data.title.strip(), public_phone=data.user.phone, public_email=data.user.email,
        document_number=data.document_number.strip(), document_date=data.document_date,
        valid_from=today, valid_to=data.valid_to, case_request_id=req.id, topic=req.subject[:255],
        created_by_id=actor.id,
    )
    db.session.add(designation)
    db.session.flush()
    audit.record(
        "designation.authorise", actor=actor, obj_type="designation", obj_id=designation.id, unit_id=req.unit_id,
        after={"request_id": req.id, "user_id": data.user.id, "document_number": designation.document_number,
               "valid_to": data.valid_to},
    )
    _assign(req, data.user, by=actor, reason=_("Ủy quyền phát ngôn theo văn bản số %(doc)s, đến hết ngày %(end)s.",
                                              doc=designation.document_number, end=data.valid_to.strftime("%d/%m/%Y")),
            designation=designation)
    return designation


def expire_case_authorisations(on: date | None = None) -> int:
    """Give back to the unit's speaker every open request whose case authorisation has ended.

    Runs from the periodic job; returns how many requests were handed back.
    """
    on = on or today_vn()
    rows = db.session.execute(
        select(PressRequest, Designation)
        .join(Designation, Designation.case_request_id == PressRequest.id)
        .where(
            Designation.kind == DesignationKind.AUTHORISED.value,
            or_(Designation.valid_to < on, Designation.revoked_at.is_not(None)),
            PressRequest.assignee_id == Designation.user_id,
            PressRequest.state.in_([s.value for s in workflow.OPEN]),
        )
        .order_by(PressRequest.id, Designation.id)  # locks taken in one order: two jobs cannot deadlock
    ).all()
    moved = 0
    for listed, designation in rows:
        req = lock_request(listed.id)  # one writer per request, as for the staff's actions
        if req is None or req.state not in {s.value for s in workflow.OPEN} or req.assignee_id != designation.user_id:
            continue  # someone acted on it meanwhile
        if req.assignee_id in _authorised_for_case(req, on):
            continue  # a newer authorisation for the same person still runs
        speaker, speaker_designation = current_speaker(req.unit, on)
        if speaker is None or speaker.id == req.assignee_id:
            continue
        _assign(req, speaker, by=None, designation=speaker_designation,
                reason=_("Ủy quyền phát ngôn theo văn bản số %(doc)s đã hết hạn.", doc=designation.document_number))
        moved += 1
    return moved
