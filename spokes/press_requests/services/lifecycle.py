"""The request's other workflow actions: withdraw, transfer, extend, reopen, reclassify."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from spokes.auth.models import User
from spokes.core import events
from spokes.core.clock import now
from spokes.core.errors import DomainError
from spokes.core.i18n import stored_in_vietnamese
from spokes.deadlines import services as deadlines
from spokes.deadlines.engine import TimeUnit, compute_due
from spokes.deadlines.rulebook import ExtensionNotAllowed, validate_extension
from spokes.extensions import db
from spokes.press_requests.models import Assignment, Extension, PressRequest, Transfer
from spokes.press_requests.workflow import Action
from spokes.press_requests.answer_models import Answer, AnswerStatus
from spokes.units.models import Unit
from spokes.units.services import end_case_authorisations
from spokes.press_requests.services.transitions import _public_person, _snapshot, check_transition, transition
from spokes.press_requests.services.assignment import _assign, current_speaker, hand_over


def withdraw(actor: User | None, req: PressRequest, reason: str | None = None) -> None:
    """Withdraw the request: by the journalist (actor None) or recorded by staff."""
    transition(actor, req, Action.WITHDRAW, journalist=actor is None, public=True,
               audit_after={"reason": (reason or "").strip() or None})
    events.request_withdrawn.send(req, actor=actor)


def transfer(actor: User, req: PressRequest, to_unit: Unit, reason: str) -> Transfer:
    """Move the request to the competent unit; it starts there as received with a new deadline."""
    if not reason.strip():
        raise DomainError(_("Vui lòng nêu lý do chuyển."), status=400)
    if to_unit.id == req.unit_id:
        raise DomainError(_("Hãy chọn một đơn vị khác đơn vị hiện tại."), status=400)
    if not to_unit.is_active:
        raise DomainError(_("Đơn vị nhận đã ngừng hoạt động."), status=400)
    target = check_transition(actor, req, Action.TRANSFER)
    before = _snapshot(req)
    moment = now()
    from_unit = req.unit
    try:
        deadline = deadlines.compute(req.type, moment, unit=to_unit)
    except deadlines.DeadlineUnavailable as err:
        raise DomainError(_("Không có quy tắc thời hạn áp dụng cho ngày chuyển."), status=400) from err
    record = Transfer(request_id=req.id, from_unit_id=from_unit.id, to_unit_id=to_unit.id,
                      reason=reason.strip(), created_by_id=actor.id)
    db.session.add(record)
    with stored_in_vietnamese():
        ended_reason = _("Yêu cầu %(ref)s đã được chuyển sang %(unit)s; ủy quyền phát ngôn cho vụ việc này chấm dứt.",
                         ref=req.reference, unit=to_unit.name)
    end_case_authorisations(actor, req, from_unit, ended_reason)
    for open_assignment in db.session.execute(
        select(Assignment).where(Assignment.request_id == req.id, Assignment.ended_at.is_(None))
    ).scalars():
        open_assignment.ended_at = moment
    for draft in db.session.execute(select(Answer).where(
        Answer.request_id == req.id,
        Answer.status.in_([AnswerStatus.DRAFT.value, AnswerStatus.SUBMITTED.value, AnswerStatus.RETURNED.value]),
    )).scalars():
        draft.status = AnswerStatus.SUPERSEDED.value
    req.unit_id = to_unit.id
    req.unit = to_unit
    req.transferred_from_id = from_unit.id
    req.assignee_id = None
    req.assignee = None
    req.clock_started_at = moment
    req.due_at = deadline.result.due_at
    req.rulebook_id = deadline.rulebook.id
    req.rule_id = deadline.rule.id
    req.extended_amount = 0
    req.deadline_explanation = deadline.explanation(note={"code": "transferred", "unit": to_unit.name})
    transition(actor, req, Action.TRANSFER, public=True, checked=target, before=before, audit_after={
        "from_unit": from_unit.name, "to_unit": to_unit.name, "reason": reason.strip(), "due_at": req.due_at})
    speaker, designation = current_speaker(to_unit)
    if speaker is not None:
        with stored_in_vietnamese():
            reason = _("Giao tự động cho người phát ngôn của đơn vị nhận.")
        _assign(req, speaker, by=None, reason=reason,
                designation=designation, automatic=True)
    events.request_transferred.send(req, record=record, actor=actor)
    return record


def extend(actor: User, req: PressRequest, amount: int, reason: str) -> Extension:
    """Extend the deadline where the rule allows it, within its maximum, with a reason."""
    check_transition(actor, req, Action.EXTEND)
    rule = deadlines.rule_spec(req.rule)
    try:
        validate_extension(rule, amount, req.extended_amount, reason=reason or "")
    except ExtensionNotAllowed as err:
        raise DomainError(err.message_vi, status=409) from err
    total = req.extended_amount + amount
    # The period the request was given when it was received (or transferred), not the rule as it
    # reads today: an admin's later edit of the rule must never move a stored deadline.
    stored_amount, unit = deadlines.stored_period(req)
    base = stored_amount - req.extended_amount
    extended = compute_due(req.clock_started_at, base + total, unit, deadlines.work_calendar())
    old_due = req.due_at
    record = Extension(request_id=req.id, amount=amount, reason=reason.strip(), old_due_at=old_due,
                       new_due_at=extended.due_at, created_by_id=actor.id)
    db.session.add(record)
    req.extended_amount = total
    req.due_at = extended.due_at
    explanation = deadlines.explanation_dict(req.rulebook, req.rule, extended, note={
        "code": "extended", "n": total, "unit": TimeUnit(unit).value, "reason": reason.strip()})
    req.deadline_explanation = explanation
    transition(actor, req, Action.EXTEND, public=True, audit_after={
        "amount": amount, "unit": unit, "reason": reason.strip(), "old_due_at": old_due, "new_due_at": req.due_at})
    events.request_extended.send(req, record=record, actor=actor)
    return record


def reopen(actor: User, req: PressRequest, reason: str) -> None:
    """Reopen an answered or refused request (head or overseer), with a reason."""
    if not reason.strip():
        raise DomainError(_("Vui lòng nêu lý do mở lại."), status=400)
    check_transition(actor, req, Action.REOPEN)
    speaker = designation = None
    if req.assignee_id is None:
        speaker, designation = current_speaker(req.unit)
        if speaker is None:
            raise DomainError(_("Đơn vị chưa có người phát ngôn để giao lại yêu cầu."), status=409)
    if speaker is not None:
        # An unassigned request (one transferred to a unit without a speaker) goes back to the
        # speaker within the reopening: the assignment's history row, and the assignee in its audit.
        with stored_in_vietnamese():
            note = _("Giao cho người phát ngôn của đơn vị khi mở lại yêu cầu.")
        hand_over(req, speaker, by=actor, reason=note, designation=designation)
    req.answered_at = None
    req.refused_at = None
    req.refusal_ground_id = None
    req.refusal_reason = None
    transition(actor, req, Action.REOPEN, public=True, audit_after={
        "reason": reason.strip(), **({"assignee": _public_person(speaker)} if speaker is not None else {})})
    if speaker is not None:
        events.request_assigned.send(req, user=speaker, actor=actor)


def _type_labels(code: str) -> dict[str, str]:
    """Return a type's label in both languages, for an audit record that must read the same later."""
    from flask_babel import force_locale

    from spokes.press_requests.labels import type_label

    labels = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            labels[locale] = str(type_label(code))
    return labels


def reclassify(actor: User, req: PressRequest, new_type: str, reason: str) -> None:
    """Change the request's type, with a reason; the deadline is recounted from the original receipt.

    The rulebook is chosen again by the date of receipt (as at intake) in the request's unit, and
    the period starts at ``received_at`` (an emergency: at the event), not at the change, so a
    reclassification neither gains nor loses time. Old and new type and deadline stay in the
    audit trail; the event is public, so the journalist sees the honest result.
    """
    from spokes.press_requests.models import RequestType

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Vui lòng nêu lý do đổi loại yêu cầu."), status=400)
    if new_type not in {t.value for t in RequestType}:
        raise DomainError(_("Loại yêu cầu không hợp lệ."), status=400)
    if new_type == req.type:
        raise DomainError(_("Yêu cầu đã thuộc loại này; hãy chọn một loại khác."), status=400)
    target = check_transition(actor, req, Action.RECLASSIFY)
    before = {**_snapshot(req), "type": req.type, "rule": req.rule.label if req.rule else None}
    start = req.event_at if new_type == RequestType.EMERGENCY.value and req.event_at else req.received_at
    try:
        deadline = deadlines.compute(new_type, start, rulebook_for=req.received_at, unit=req.unit)
    except deadlines.DeadlineUnavailable as err:
        raise DomainError(_("Không có quy tắc thời hạn áp dụng cho loại yêu cầu này vào ngày tiếp nhận."),
                          status=400) from err
    old_type, old_due = req.type, req.due_at
    req.type = new_type
    # The portal's note "logged as information for want of the agency's document" is settled:
    # staff have decided the type (the audit keeps what the journalist chose).
    requested, req.requested_type = req.requested_type, None
    req.clock_started_at = start
    req.due_at = deadline.result.due_at
    req.rulebook_id = deadline.rulebook.id
    req.rule_id = deadline.rule.id
    req.extended_amount = 0
    req.deadline_explanation = deadline.explanation(note={"code": "reclassified"})
    transition(actor, req, Action.RECLASSIFY, public=True, checked=target, before=before, audit_after={
        "type": new_type, "old_type": old_type, "reason": reason, "old_due_at": old_due, "new_due_at": req.due_at,
        "rule": deadline.rule.label, "type_labels": {"old": _type_labels(old_type), "new": _type_labels(new_type)},
        "requested_type": requested,
    })
    events.request_reclassified.send(req, old_type=old_type, old_due_at=old_due, reason=reason, actor=actor)
