"""Answers: drafting, submitting, approving, returning and sending an answer or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from spokes.auth.models import User
from spokes.core import events
from spokes.core.clock import now
from spokes.core.errors import DomainError
from spokes.deadlines.models import RefusalGround
from spokes.extensions import db
from spokes.press_requests.models import PressRequest, RequestState
from spokes.press_requests.workflow import Action
from spokes.press_requests.answer_models import Answer, AnswerKind, AnswerStatus
from spokes.press_requests.services.transitions import _public_person, transition


@dataclass
class DraftData:
    """A draft answer or proposed refusal."""

    kind: str = AnswerKind.ANSWER.value
    form: str = "written"
    body: str = ""
    refusal_ground_id: int | None = None
    refusal_reason: str | None = None
    interview_at: datetime | None = None
    interview_place: str | None = None
    questions_received: bool = False
    interviewee_consent: bool = False
    review_requested: bool = False


def current_draft(req: PressRequest) -> Answer | None:
    """Return the answer being worked on (draft, submitted or returned), if any."""
    return db.session.execute(
        select(Answer)
        .where(Answer.request_id == req.id, Answer.status.in_([
            AnswerStatus.DRAFT.value, AnswerStatus.SUBMITTED.value, AnswerStatus.RETURNED.value]))
        .order_by(Answer.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def answers_on_file(req: PressRequest) -> tuple[Answer | None, Answer | None]:
    """Return (current draft, final answer) of a request with one query, people and ground loaded.

    The request page shows both; ``current_draft`` and ``final_answer`` answer one each.
    """
    working = {AnswerStatus.DRAFT.value, AnswerStatus.SUBMITTED.value, AnswerStatus.RETURNED.value}
    answers = db.session.execute(
        select(Answer)
        .options(joinedload(Answer.author).lazyload(User.memberships),
                 joinedload(Answer.approver).lazyload(User.memberships), joinedload(Answer.refusal_ground))
        .where(Answer.request_id == req.id, Answer.status.in_([*working, AnswerStatus.SENT.value]))
        .order_by(Answer.id.desc())
    ).unique().scalars().all()
    draft = next((a for a in answers if a.status in working), None)
    final = next((a for a in answers if a.status == AnswerStatus.SENT.value), None)
    return draft, final


def final_answer(req: PressRequest) -> Answer | None:
    """Return the answer or refusal that was sent, if any."""
    return db.session.execute(
        select(Answer)
        .where(Answer.request_id == req.id, Answer.status == AnswerStatus.SENT.value)
        .order_by(Answer.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _validate_draft(req: PressRequest, data: DraftData) -> None:
    if data.kind == AnswerKind.REFUSAL.value:
        ground = db.session.get(RefusalGround, data.refusal_ground_id) if data.refusal_ground_id else None
        if ground is None or ground.rulebook_id != req.rulebook_id:
            raise DomainError(_("Vui lòng chọn căn cứ từ chối trong bộ quy tắc áp dụng cho yêu cầu."), status=400)
        if not (data.refusal_reason or "").strip():
            raise DomainError(_("Vui lòng nêu lý do từ chối cụ thể."), status=400)
    elif not data.body.strip():
        raise DomainError(_("Nội dung trả lời không được để trống."), status=400)
    if (data.form == "interview" and req.type == "interview"
            and not (data.questions_received or data.interviewee_consent)):
        raise DomainError(_("Chỉ trả lời phỏng vấn khi phóng viên đã gửi trước câu hỏi hoặc người trả lời phỏng vấn "
                            "đồng ý trả lời (Luật Báo chí 2025, Điều 33); hãy ghi nhận một trong hai."), status=400)


def save_draft(actor: User, req: PressRequest, data: DraftData) -> Answer:
    """Create or update the current draft; the request moves to drafting."""
    if req.state == RequestState.RECEIVED.value:
        raise DomainError(_("Yêu cầu chưa được giao cho người phát ngôn."), status=409)
    transition(actor, req, Action.DRAFT)
    _validate_draft(req, data)
    answer = current_draft(req)
    if answer is None or answer.status == AnswerStatus.SUBMITTED.value:
        answer = Answer(request_id=req.id, author_id=actor.id)
        db.session.add(answer)
    answer.kind = data.kind
    answer.form = data.form
    answer.body = data.body.strip()
    answer.refusal_ground_id = data.refusal_ground_id if data.kind == AnswerKind.REFUSAL.value else None
    answer.refusal_reason = (data.refusal_reason or "").strip() or None if data.kind == AnswerKind.REFUSAL.value else None
    answer.interview_at = data.interview_at
    answer.interview_place = data.interview_place
    answer.questions_received = data.questions_received
    answer.interviewee_consent = data.interviewee_consent
    answer.review_requested = data.review_requested
    answer.status = AnswerStatus.DRAFT.value
    answer.author_id = actor.id
    db.session.flush()
    return answer


def submit_draft(actor: User, req: PressRequest) -> Answer:
    """Send the current draft to the head for approval."""
    answer = current_draft(req)
    if answer is None or answer.status != AnswerStatus.DRAFT.value:
        raise DomainError(_("Chưa có dự thảo để trình duyệt."), status=409)
    transition(actor, req, Action.SUBMIT, audit_after={"answer_id": answer.id, "kind": answer.kind})
    answer.status = AnswerStatus.SUBMITTED.value
    answer.submitted_at = now()
    db.session.flush()
    events.draft_submitted.send(req, answer=answer, actor=actor)
    return answer


def _send(actor: User, req: PressRequest, answer: Answer, action: Action) -> None:
    moment = now()
    answer.status = AnswerStatus.APPROVED.value
    answer.approver_id = actor.id
    answer.approved_at = moment
    db.session.flush()
    if answer.kind == AnswerKind.REFUSAL.value:
        req.refusal_ground_id = answer.refusal_ground_id
        req.refusal_reason = answer.refusal_reason
        req.refusal_ground = answer.refusal_ground
    ground = answer.refusal_ground
    public = {
        "answer_id": answer.id, "kind": answer.kind, "form": answer.form,
        "speaker": _public_person(db.session.get(User, answer.author_id)),
        "refusal_ground": {"code": ground.code, "text": ground.text, "source": ground.source,
                           "confidence": ground.confidence} if ground else None,
        "refusal_reason": answer.refusal_reason,
    }
    transition(actor, req, action, audit_after=public, public=True)
    answer.status = AnswerStatus.SENT.value
    answer.sent_at = moment
    db.session.flush()
    events.request_answered.send(req, answer=answer, actor=actor)


def approve(actor: User, req: PressRequest) -> Answer:
    """Approve the submitted draft: the answer (or refusal) goes to the journalist."""
    answer = current_draft(req)
    if answer is None or answer.status != AnswerStatus.SUBMITTED.value:
        raise DomainError(_("Không có dự thảo nào đang chờ duyệt."), status=409)
    action = Action.APPROVE_REFUSAL if answer.kind == AnswerKind.REFUSAL.value else Action.APPROVE
    _send(actor, req, answer, action)
    return answer


def return_draft(actor: User, req: PressRequest, comment: str) -> Answer:
    """Return the submitted draft to its author with a comment."""
    answer = current_draft(req)
    if answer is None or answer.status != AnswerStatus.SUBMITTED.value:
        raise DomainError(_("Không có dự thảo nào đang chờ duyệt."), status=409)
    if not comment.strip():
        raise DomainError(_("Vui lòng ghi ý kiến khi trả lại dự thảo."), status=400)
    transition(actor, req, Action.RETURN, audit_after={"answer_id": answer.id, "comment": comment.strip()})
    answer.status = AnswerStatus.RETURNED.value
    answer.return_comment = comment.strip()
    db.session.flush()
    events.draft_returned.send(req, answer=answer, actor=actor)
    return answer


def send_directly(actor: User, req: PressRequest) -> Answer:
    """Send the current draft without approval (approval off, or the head sends it)."""
    answer = current_draft(req)
    if answer is None or answer.status not in (AnswerStatus.DRAFT.value, AnswerStatus.RETURNED.value):
        raise DomainError(_("Chưa có dự thảo để gửi."), status=409)
    if answer.kind == AnswerKind.REFUSAL.value:
        _send(actor, req, answer, Action.REFUSE)
    else:
        _send(actor, req, answer, Action.ANSWER)
    return answer
