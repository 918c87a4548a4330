"""The request page's read model: what it shows, the action panels' forms and their choices.

Presentation only: it reads (answers, history, assignments, messages, files) and builds the blank
forms of the actions the user may take; the views render it and the services change things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from spokes.attachments.models import Attachment
from spokes.audit import history
from spokes.audit.actions import AuditAction
from spokes.audit.models import AuditEvent
from spokes.auth.models import User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import has_permission
from spokes.core.forms import EmptyForm, fill
from spokes.core.markdown import render_markdown
from spokes.deadlines.calendar import to_vn
from spokes.deadlines.services import refusal_grounds_for
from spokes.extensions import db
from spokes.mailin.services import awaiting_type_confirmation
from spokes.press_requests import forms, policies
from spokes.press_requests import services as svc
from spokes.press_requests.actions import VERBS, Verb
from spokes.press_requests.answer_models import AnswerKind, AnswerStatus
from spokes.press_requests.labels import conclusion_status, due_status, state_label
from spokes.press_requests.models import (
    CONCLUSION_TYPES,
    Assignment,
    Channel,
    Extension,
    Message,
    MessageKind,
    PressRequest,
    Transfer,
)
from spokes.press_requests.queries import unit_people
from spokes.publishing.policies import can_publish_request
from spokes.units.models import Unit

# The answer form's fields a saved draft fills in, when the page opens on it.
DRAFT_FIELDS = ("kind", "form", "body", "refusal_reason", "interview_at", "interview_place", "questions_received",
                "interviewee_consent", "review_requested")
ANSWER_STATUS_LABELS = {
    AnswerStatus.DRAFT.value: _l("Đang soạn"),
    AnswerStatus.SUBMITTED.value: _l("Đã trình, chờ duyệt"),
    AnswerStatus.RETURNED.value: _l("Bị trả lại, cần sửa"),
    AnswerStatus.APPROVED.value: _l("Đã duyệt"),
    AnswerStatus.SENT.value: _l("Đã gửi phóng viên"),
    AnswerStatus.SUPERSEDED.value: _l("Không còn hiệu lực"),
}
PURPOSE_LABELS = {
    "evidence": _l("tài liệu kèm yêu cầu"),
    "letter": _l("giấy giới thiệu"),
    "agency_request": _l("văn bản của cơ quan báo chí (yêu cầu hoặc nội dung chuyển đến)"),
    "answer": _l("kèm dự thảo trả lời"),
    "scan": _l("bản quét"),
}
TIME_UNITS = {"hours": _l("giờ"), "calendar_days": _l("ngày"), "working_days": _l("ngày làm việc")}


def web_link(url: str | None) -> str | None:
    """Return the address if it is a plain web link (requests from the portal included), else None."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def skipped_days(explanation: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (dd/mm/yyyy, name) of the days the deadline's count skipped."""
    days = []
    for item in explanation.get("skipped_days") or []:
        try:
            shown = date.fromisoformat(str(item.get("date"))).strftime("%d/%m/%Y")
        except ValueError:
            shown = str(item.get("date"))
        days.append((shown, str(item.get("name") or "")))
    return days


@dataclass(frozen=True)
class FormerUnitView:
    """What a user who sees the request only as a unit it was transferred out of may read.

    They follow the case (state, deadline, history, what went to the journalist, the final
    answer) and keep what was on file up to the last transfer out of their unit; the receiving
    unit's internal notes, unapproved drafts (their files and the comments returning them) stay
    with the receiving unit. Overseers whose scope covers the receiving unit are not former
    viewers: they see everything.
    """

    seq: int | None  # the audit event of that transfer, when on file (orders events exactly)
    at: datetime  # the moment of that transfer

    def before_transfer(self, seq: int | None, at: datetime) -> bool:
        """Return whether something recorded at (seq, at) was on file before the transfer."""
        if self.seq is not None and seq is not None:
            return seq < self.seq
        return at < self.at

    def shows_attachment(self, attachment: Attachment, final: Any) -> bool:
        """Return whether the attachment is not a file of an unapproved draft of a later unit."""
        if attachment.answer_id is None or (final is not None and attachment.answer_id == final.id):
            return True
        return self.before_transfer(None, attachment.created_at)


def former_unit_view(user: Any, req: PressRequest, transfers: list[Transfer] | None = None,
                     events: list[AuditEvent] | None = None) -> FormerUnitView | None:
    """Return the limits of a former unit's view of the request, or None when the user may read all of it.

    ``transfers`` (with ``from_unit`` loaded) and the request's ``events`` are the page's own when it
    has them; otherwise they are read here (two small queries).
    """
    if not policies.is_read_only(user, req):
        return None
    if transfers is None:
        transfers = list(db.session.execute(
            select(Transfer).options(joinedload(Transfer.from_unit)).where(Transfer.request_id == req.id)
        ).scalars())
    left = policies.transfers_out_of_viewers_units(user, transfers)
    if not left:
        return None  # not a viewer at all: the views answer 404 before this
    if events is None:
        events = list(db.session.execute(
            select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id,
                                     AuditEvent.action == AuditAction.REQUEST_TRANSFER.value)
        ).scalars())
    units = {t.from_unit_id for t in left}
    seqs = [e.seq for e in events if e.action == AuditAction.REQUEST_TRANSFER.value
            and (e.before or {}).get("unit_id") in units]
    return FormerUnitView(seq=max(seqs) if seqs else None, at=max(t.created_at for t in left))


# What the receiving unit wrote for itself on an event: the comment returning a draft, the reason
# of a reassignment ("Chị Lan nghỉ phép"). A transfer's reason is the transfer's, shown with it.
_INTERNAL_WORDS = ("comment", "reason")


def _former_unit_events(events: list[AuditEvent], former: FormerUnitView) -> list[Any]:
    """Return the events for the timeline, without the later unit's own words (comments, reasons)."""
    shown: list[Any] = []
    for e in events:
        after = e.after or {}
        if (e.action != AuditAction.REQUEST_TRANSFER.value and any(k in after for k in _INTERNAL_WORDS)
                and not former.before_transfer(e.seq, e.created_at)):
            # A stand-in, never the audit row itself: an audit event is not changed.
            shown.append(SimpleNamespace(action=e.action, before=e.before, created_at=e.created_at,
                                         actor_label=e.actor_label, public=e.public,
                                         after={k: v for k, v in after.items() if k not in _INTERNAL_WORDS}))
        else:
            shown.append(e)
    return shown


class _WithoutReason:
    """An assignment as a former unit sees it: who and when, without the receiving unit's reason."""

    reason = None

    def __init__(self, assignment: Assignment) -> None:
        self._assignment = assignment

    def __getattr__(self, name: str) -> Any:
        return getattr(self._assignment, name)


# The form each verb posts, from the action registry (spokes/press_requests/actions.py).
FORM_CLASSES: dict[Verb, type] = {verb: spec.form for verb, spec in VERBS.items()}


def distinct_users(users: Any) -> list[User]:
    """Return the users once each, in their first order."""
    seen: dict[int, User] = {}
    for u in users:
        seen.setdefault(u.id, u)
    return list(seen.values())


def build_form(verb: Verb, req: PressRequest, user: Any, *, bound: bool = True, prefill: Any = None,
               people: list[Any] | None = None) -> Any:
    """Build an action's form with the choices it validates against.

    ``bound`` forms read the submitted data; the others are blank panels on the page (and
    the draft panel starts from the current draft). ``people`` is ``unit_people(req)`` when
    the caller has it already.
    """
    if verb in (Verb.REASSIGN, Verb.AUTHORISE) and people is None:
        people = unit_people(req)
    cls = FORM_CLASSES[verb]
    form = cls(prefix=verb.value) if bound else cls(prefix=verb.value, formdata=None)
    if not bound:
        form.version.data = str(req.version)
    if verb is Verb.REASSIGN:
        answering = {Role.SPOKESPERSON.value, Role.HEAD.value}
        people = distinct_users(u for u, role in people if role in answering and u.id != req.assignee_id)
        form.assignee.choices = [forms.choice("", _("— Chọn người —"))] + [
            forms.choice(u.id, f"{u.name} — {u.title or ''}") for u in people]
    elif verb is Verb.AUTHORISE:
        people = distinct_users(u for u, _role in people if u.id != user.id)
        form.user.choices = [forms.choice("", _("— Chọn người —"))] + [
            forms.choice(u.id, f"{u.name} — {u.title or ''}") for u in people]
    elif verb is Verb.DRAFT:
        form.refusal_ground.choices = [forms.choice("", _("— Chọn căn cứ —"))] + [
            forms.choice(g.id, f"{g.code}) {g.text} ({g.source})") for g in refusal_grounds_for(req.rulebook_id)]
        if prefill is not None and not bound:
            fill(form, prefill, DRAFT_FIELDS, refusal_ground="refusal_ground_id")
    elif verb is Verb.RECLASSIFY:
        form.type.choices = [c for c in form.type.choices if c.value != req.type]
    elif verb is Verb.CONCLUDE and not bound and req.conclusion_at is not None:
        form.concluded_on.data = to_vn(req.conclusion_at).date()
        form.document.data = req.conclusion_document
        form.summary.data = req.conclusion_summary
    elif verb is Verb.TRANSFER:
        units = db.session.execute(
            select(Unit.id, Unit.name).where(Unit.is_active.is_(True), Unit.id != req.unit_id).order_by(Unit.name)
        )
        form.to_unit.choices = [forms.choice("", _("— Chọn đơn vị —"))] + [forms.choice(u.id, u.name) for u in units]
    return form


def detail_context(user: Any, req: PressRequest, failed: dict[Verb, Any] | None = None) -> dict[str, Any]:
    """Return what the request page shows; ``failed`` holds a submitted form to show with its errors."""
    draft, final = svc.answers_on_file(req)
    rule = req.rule
    read_only = policies.is_read_only(user, req)
    allowed = {} if read_only else {verb: policies.can_act(user, req, verb, draft=draft) for verb in Verb}
    action_forms = {}
    people = unit_people(req) if allowed.get(Verb.REASSIGN) or allowed.get(Verb.AUTHORISE) else None
    for verb, ok in allowed.items():
        if failed and verb in failed:
            action_forms[verb] = failed[verb]
        elif ok:
            action_forms[verb] = build_form(verb, req, user, bound=False, prefill=draft, people=people)
    events = list(db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq)
    ).scalars())
    assignment_rows = db.session.execute(
        select(Assignment, Unit.name)
        .options(joinedload(Assignment.user).lazyload(User.memberships),
                 joinedload(Assignment.assigned_by).lazyload(User.memberships))
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.request_id == req.id).order_by(Assignment.created_at, Assignment.id)
    ).unique().all()
    assignments = [a for a, _name in assignment_rows]
    unit_names = {a.unit_id: name for a, name in assignment_rows}
    messages = list(db.session.execute(
        select(Message).options(joinedload(Message.author).lazyload(User.memberships)).where(Message.request_id == req.id)
        .order_by(Message.created_at, Message.id)
    ).unique().scalars())
    transfers = list(db.session.execute(
        select(Transfer).options(joinedload(Transfer.from_unit), joinedload(Transfer.to_unit))
        .where(Transfer.request_id == req.id).order_by(Transfer.created_at, Transfer.id)
    ).unique().scalars())
    extensions = list(db.session.execute(
        select(Extension).where(Extension.request_id == req.id).order_by(Extension.created_at)
    ).scalars())
    attachment_rows = list(db.session.execute(
        select(Attachment).where(Attachment.request_id == req.id).order_by(Attachment.created_at, Attachment.id)
    ).scalars())
    former = former_unit_view(user, req, transfers, events) if read_only else None
    if former is not None:
        note_seqs = {(e.after or {}).get("message_id"): e.seq for e in events
                     if e.action == AuditAction.MESSAGE_INTERNAL_NOTE.value}
        messages = [m for m in messages if m.kind != MessageKind.INTERNAL_NOTE.value
                    or former.before_transfer(note_seqs.get(m.id), m.created_at)]
        draft = None  # a working draft is always the receiving unit's: a transfer supersedes the drafts
        attachment_rows = [a for a in attachment_rows if former.shows_attachment(a, final)]
        events = _former_unit_events(events, former)
        assignments = [a if former.before_transfer(None, a.created_at) else _WithoutReason(a)  # type: ignore[misc]
                       for a in assignments]
    status_flag = due_status(req)
    # ND 09 asks every unit to publish who speaks for it; without that, a new request falls back to
    # the head (an automatic assignment with no designation behind it). Said on the open request's
    # page, with the way to fix it for those who may.
    current = next((a for a in assignments if a.ended_at is None), None)
    speaker_gap = (req.is_open and not read_only and current is not None and current.assigned_by_id is None
                   and current.designation_id is None)
    context = {
        "req": req,
        "assignee": req.assignee,
        "journalist": req.contact,
        "draft": draft,
        "final": final,
        "draft_html": render_markdown(draft.body) if draft and draft.kind == AnswerKind.ANSWER.value else None,
        "final_html": render_markdown(final.body) if final and final.kind == AnswerKind.ANSWER.value else None,
        "rule": rule,
        "explanation": req.deadline_explanation or {},
        "due_flag": status_flag,
        "overdue_note": rule.overdue_note if status_flag == "overdue" and rule.overdue_note else None,
        "extension_left": max(rule.extension_max_amount - req.extended_amount, 0) if rule.extension_allowed else 0,
        "read_only": read_only,
        "can_publish": can_publish_request(user, req, final),
        "allowed": allowed,
        "forms": action_forms,
        "timeline": history.staff_history(events, state_label),
        "assignments": assignments,
        "unit_names": unit_names,
        "notes": [m for m in messages if m.kind == MessageKind.INTERNAL_NOTE.value],
        "conversation": [m for m in messages if m.kind != MessageKind.INTERNAL_NOTE.value],
        "transfers": transfers,
        "extensions": extensions,
        "attachments": attachment_rows,
        "Verb": Verb,
        "speaker_gap": speaker_gap,
        "designations_url": url_for("units.unit_designations", unit_id=req.unit_id) if speaker_gap and has_permission(
            user, Permission.AUTHORISE_SPOKESPERSON, req.unit) else None,
        "mail_awaiting_type": awaiting_type_confirmation(req.id) if req.channel == Channel.EMAIL.value else None,
        "article_link": web_link(req.article_url),
        "deadline_start": history.as_time((req.deadline_explanation or {}).get("start")),
        "skipped_days": skipped_days(req.deadline_explanation or {}),
        "form_labels": {k.value: v for k, v in forms.FORM_LABELS.items()},
        "answer_status_labels": ANSWER_STATUS_LABELS,
        "purpose_labels": PURPOSE_LABELS,
        "time_units": TIME_UNITS,
        "journalist_update_form": EmptyForm() if policies.can_update_journalist(user, req) else None,
        "conclusion_flag": conclusion_status(req),
        "conclusion_card": req.type in {t.value for t in CONCLUSION_TYPES},
        "requested_type": req.requested_type if req.requested_type and req.requested_type != req.type else None,
    }
    return context
