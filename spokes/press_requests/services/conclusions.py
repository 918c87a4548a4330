"""The conclusion of a forwarded complaint or denunciation and its sending (ND 237 Điều 18(2))."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.deadlines import services as deadlines
from spokes.deadlines.calendar import to_vn
from spokes.extensions import db
from spokes.press_requests import workflow
from spokes.press_requests.models import PressRequest, RequestState


@dataclass
class ConclusionData:
    """A recorded conclusion of a forwarded complaint or denunciation."""

    concluded_on: date
    document: str
    summary: str


CONCLUSION_STATES = frozenset({*(s.value for s in workflow.OPEN), RequestState.ANSWERED.value})


def check_conclusion(actor: User, req: PressRequest, *, sending: bool = False) -> None:
    """Raise unless the actor may record the conclusion (or its sending) on this request now."""
    from spokes.press_requests.models import CONCLUSION_TYPES

    if Permission.DRAFT_ANSWER not in permissions_in(actor, req.unit):
        raise NotAllowed(_("Bạn không có quyền ghi nhận kết luận cho yêu cầu này."))
    if req.type not in {t.value for t in CONCLUSION_TYPES}:
        raise DomainError(_("Chỉ khiếu nại, tố cáo do báo chí chuyển đến mới có kết luận giải quyết."), status=409)
    if req.state not in CONCLUSION_STATES:
        raise DomainError(_("Không thể ghi nhận kết luận khi yêu cầu đã bị từ chối hoặc đã rút."), status=409)
    if sending and req.conclusion_at is None:
        raise DomainError(_("Hãy ghi nhận kết luận trước khi xác nhận đã gửi."), status=409)
    if req.conclusion_sent_at is not None:
        raise DomainError(_("Kết luận đã được gửi cho cơ quan báo chí."), status=409)


def conclusion_moment(day: date) -> datetime:
    """Return the moment a conclusion dated ``day`` counts from (start of that Vietnamese day, in UTC).

    A period in days does not count its first day, so the hour does not move the due date.
    """
    from datetime import UTC, time

    from spokes.core.clock import VN_TZ

    return datetime.combine(day, time(0, 0), tzinfo=VN_TZ).astimezone(UTC)


def record_conclusion(actor: User, req: PressRequest, data: ConclusionData) -> None:
    """Record the conclusion (date, document, summary) and start the milestone of sending it.

    The milestone's rule is the one in force on the conclusion's date (ND 237 Điều 18(2) from
    01/07/2026: within 5 working days); when none applies, the conclusion is recorded untracked.
    A correction of a recorded conclusion is allowed until it is sent, and audited.
    """
    check_conclusion(actor, req)
    document, summary = (data.document or "").strip(), (data.summary or "").strip()
    if not document or not summary:
        raise DomainError(_("Vui lòng nhập số văn bản và tóm tắt kết luận."), status=400)
    if data.concluded_on > today_vn():
        raise DomainError(_("Ngày kết luận không thể ở tương lai."), status=400)
    if data.concluded_on < to_vn(req.received_at).date():
        raise DomainError(_("Ngày kết luận không thể trước ngày tiếp nhận yêu cầu."), status=400)
    moment = conclusion_moment(data.concluded_on)
    try:
        deadline = deadlines.compute(req.type, moment, milestone="conclusion", unit=req.unit)
        due = deadline.result.due_at
    except deadlines.DeadlineUnavailable:
        due = None
    before = {"conclusion_at": req.conclusion_at, "conclusion_due_at": req.conclusion_due_at,
              "conclusion_document": req.conclusion_document}
    req.conclusion_at = moment
    req.conclusion_due_at = due
    req.conclusion_document = document
    req.conclusion_summary = summary
    req.version = (req.version or 0) + 1
    db.session.flush()
    audit.record(
        "request.conclusion_recorded", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        before=before, public=False,
        after={"conclusion_on": data.concluded_on.isoformat(), "conclusion_document": document,
               "conclusion_due_at": due, "summary": summary},
    )


def mark_conclusion_sent(actor: User, req: PressRequest) -> None:
    """Record that the conclusion went to the press agency; this closes the milestone."""
    check_conclusion(actor, req, sending=True)
    req.conclusion_sent_at = now()
    req.version = (req.version or 0) + 1
    db.session.flush()
    audit.record(
        "request.conclusion_sent", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        public=True, after={"conclusion_document": req.conclusion_document, "sent_at": req.conclusion_sent_at,
                            "conclusion_due_at": req.conclusion_due_at},
    )
