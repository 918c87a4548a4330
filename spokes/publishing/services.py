"""Publishing: answers and statements on the public news feed, corrections, withdrawals, duties.

Services check, change, ``flush()`` and audit; they never commit. Nothing published changes
silently: a correction freezes the previous content as a revision (and the model refuses any
flush that skips it), a withdrawal keeps the item and its address with a public notice.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from spokes.attachments import store as attachments
from spokes.attachments.models import Attachment
from spokes.attachments.store import Upload
from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.core import events, pagecache
from spokes.core.clock import VN_TZ, now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.markdown import plain_text
from spokes.core.pagination import SEARCH_EXACT_UP_TO, CountedPagination, Cursor, paginate_counted
from spokes.core.search import index_object, matching_condition
from spokes.core.text import slugify
from spokes.deadlines import services as deadlines
from spokes.deadlines.calendar import to_vn
from spokes.deadlines.services import rulebook_on
from spokes.extensions import db
from spokes.press_requests.models import PressRequest, RequestState
from spokes.press_requests.services import final_answer
from spokes.publishing import policies
from spokes.publishing.models import Publication, PublicationKind, PublicationRevision, RecurringDuty
from spokes.press_requests.answer_models import Answer
from spokes.units.models import Unit
from spokes.units.services import designation_in_force, resolve_unit

log = logging.getLogger(__name__)

SEARCH_TYPE = "publication"
SUMMARY_LENGTH = 300
STATEMENT_KINDS = tuple(k for k in PublicationKind if k is not PublicationKind.ANSWER)
EMERGENCY_FALLBACK = timedelta(hours=24)
PUBLIC_FILE_KINDS = ("pdf", "jpeg", "png")
MAX_EVERY_MONTHS = 24


# --------------------------------------------------------------------------- data


@dataclass
class PublicationData:
    """What a news item says (already validated field by field by the form)."""

    title: str
    summary: str
    body: str
    speaker_name: str
    speaker_title: str | None = None
    event_at: datetime | None = None
    conference_at: datetime | None = None


@dataclass(frozen=True)
class Question:
    """The question an answer responds to, as it may be published."""

    subject: str
    agency: str | None
    journalist: str | None  # only when the journalist consented to publishing their name


# --------------------------------------------------------------------------- prefill


def question_of(req: PressRequest) -> Question:
    """Return the publishable facts of a request's question (never the journalist's contacts)."""
    contact = req.contact  # the details and consent given with this request, not a later one's
    agency = contact.agency if contact is not None else None
    name = contact.name if contact is not None and contact.consent_publish_name else None
    return Question(subject=req.subject, agency=agency, journalist=name)


def speaker_title_of(user: User | None, unit: Unit) -> str | None:
    """Return the title under which the user speaks for the unit: the designation's, else their own."""
    if user is None:
        return None
    designation = designation_in_force(user, unit)
    return (designation.title if designation is not None else None) or user.title


def prefill_from_request(req: PressRequest, answer: Answer) -> PublicationData:
    """Return a news item drafted from the request and its sent answer."""
    question = question_of(req)
    if question.agency:
        title = _("%(unit)s trả lời %(agency)s về “%(subject)s”", unit=req.unit.name, agency=question.agency,
                  subject=req.subject)
    else:
        title = _("%(unit)s trả lời báo chí về “%(subject)s”", unit=req.unit.name, subject=req.subject)
    speaker = answer.author
    return PublicationData(
        title=_truncate(title, 255),
        summary=plain_text(answer.body, SUMMARY_LENGTH),
        body=answer.body,
        speaker_name=speaker.name if speaker else "",
        speaker_title=speaker_title_of(speaker, req.unit),
    )


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def live_publication_for(req: PressRequest) -> Publication | None:
    """Return the request's item that is still on the news feed, if any."""
    return db.session.execute(
        select(Publication)
        .where(Publication.request_id == req.id, Publication.withdrawn_at.is_(None))
        .order_by(Publication.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def published_items(req: PressRequest) -> list[Publication]:
    """Return the request's items that are still on the news feed, oldest first."""
    return list(db.session.execute(
        select(Publication)
        .where(Publication.request_id == req.id, Publication.withdrawn_at.is_(None))
        .order_by(Publication.published_at)
    ).scalars())


# --------------------------------------------------------------------------- rules on times


def emergency_due_at(event_at: datetime) -> datetime:
    """Return when a statement on a sudden event is due: the rulebook's emergency rule (24 hours)."""

    try:
        return deadlines.compute("emergency", event_at).result.due_at
    except deadlines.DeadlineUnavailable:
        return event_at + EMERGENCY_FALLBACK


def _duration_text(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(h)d giờ %(m)d phút", h=hours, m=minutes)
    if hours:
        return _("%(h)d giờ", h=hours)
    return _("%(m)d phút", m=minutes)


def notice_warning(conference_at: datetime | None, notice_at: datetime, books: list[Any] | None = None) -> str | None:
    """Return a warning when a press-conference notice comes later than the rulebook requires.

    The rulebook in force on the conference date decides: both the 2016 law (Điều 41) and the
    2025 law with ND 237/2026 (Điều 22) require a written notice 24 hours ahead to the state
    press regulator. This warns and never blocks.
    """
    if conference_at is None:
        return None

    book = rulebook_on(to_vn(conference_at).date(), books)
    if book is None or not book.press_conference_notice_hours:
        return None
    required = timedelta(hours=book.press_conference_notice_hours)
    if conference_at - notice_at >= required:
        return None
    # The feed item invites journalists; it is not the notice the law asks for, which is a numbered
    # letter to the regulator tracked under "Họp báo" (spokes/conferences). Say so, rather than
    # measure the feed item against the notice period as if it were that letter.
    return _(
        "Lưu ý: tin mời báo chí này đăng trước giờ họp báo %(left)s. Tin đăng không thay cho văn bản thông báo gửi "
        "cơ quan quản lý nhà nước về báo chí, phải gửi ít nhất %(hours)d giờ trước khi họp báo (theo “%(book)s”); "
        "văn bản đó được lập và theo dõi ở mục Họp báo.",
        book=book.name, hours=book.press_conference_notice_hours, left=_duration_text(conference_at - notice_at),
    )


def warnings_for(pub: Publication, books: list[Any] | None = None) -> list[str]:
    """Return the compliance warnings of an item (late conference notice, late emergency statement).

    Pass the rulebooks when checking many items, so they are loaded once.
    """
    warnings: list[str] = []
    if pub.kind == PublicationKind.PRESS_CONFERENCE_NOTICE.value:
        warning = notice_warning(pub.conference_at, pub.published_at, books)
        if warning:
            warnings.append(warning)
    if pub.kind == PublicationKind.EMERGENCY.value and pub.due_at is not None and pub.published_at > pub.due_at:
        warnings.append(_("Phát ngôn được đăng sau thời hạn 24 giờ kể từ khi xảy ra sự việc (trễ %(late)s).",
                          late=_duration_text(pub.published_at - pub.due_at)))
    return warnings


# --------------------------------------------------------------------------- publishing


def _validate(kind: str, data: PublicationData, moment: datetime, *, correcting: bool = False) -> None:
    if not data.title.strip() or not data.body.strip() or not data.speaker_name.strip():
        raise DomainError(_("Tiêu đề, nội dung và người phát ngôn không được để trống."), status=400)
    if kind == PublicationKind.EMERGENCY.value:
        if data.event_at is None:
            raise DomainError(_("Vui lòng nhập thời điểm xảy ra sự việc."), status=400)
        if data.event_at > moment:
            raise DomainError(_("Thời điểm xảy ra sự việc không thể ở tương lai."), status=400)
    if kind in (PublicationKind.PRESS_CONFERENCE_NOTICE.value, PublicationKind.PRESS_CONFERENCE_OUTCOME.value):
        if data.conference_at is None:
            raise DomainError(_("Vui lòng nhập thời điểm họp báo."), status=400)
        if correcting:
            return
        if kind == PublicationKind.PRESS_CONFERENCE_NOTICE.value and data.conference_at <= moment:
            raise DomainError(_("Thông báo họp báo phải đăng trước thời điểm họp báo."), status=400)
        if kind == PublicationKind.PRESS_CONFERENCE_OUTCOME.value and data.conference_at > moment:
            raise DomainError(_("Chỉ đăng kết quả họp báo sau khi buổi họp báo đã diễn ra."), status=400)


def _new_slug(title: str) -> str:
    """Return a readable, unused slug: the title's, with a short random suffix when taken."""
    base = slugify(title, max_length=80)
    candidate = base
    for _attempt in range(8):
        if db.session.execute(select(Publication.id).where(Publication.slug == candidate)).first() is None:
            return candidate
        candidate = f"{base}-{secrets.token_hex(2)}"
    return f"{base}-{secrets.token_hex(6)}"


def _reindex(pub: Publication) -> None:
    index_object(SEARCH_TYPE, pub.id, [pub.title, pub.summary, plain_text(pub.body), pub.unit.name,
                                       pub.question_subject, pub.question_agency])


def _content_of(kind: str, data: PublicationData) -> dict[str, Any]:
    """Return what an item of this kind says, cleaned: the fields a revision keeps (see ``_content``)."""
    return {
        "title": data.title.strip(), "summary": (data.summary or "").strip() or plain_text(data.body, SUMMARY_LENGTH),
        "body": data.body.strip(), "speaker_name": data.speaker_name.strip(),
        "speaker_title": (data.speaker_title or "").strip() or None,
        "event_at": data.event_at if kind == PublicationKind.EMERGENCY.value else None,
        "conference_at": data.conference_at if kind in (
            PublicationKind.PRESS_CONFERENCE_NOTICE.value, PublicationKind.PRESS_CONFERENCE_OUTCOME.value) else None,
    }


def _create(actor: User, unit: Unit, kind: str, data: PublicationData, *, req: PressRequest | None = None,
            answer: Answer | None = None, question: Question | None = None) -> Publication:
    moment = now()
    pub = Publication(
        slug=_new_slug(data.title), unit_id=unit.id, kind=kind,
        request_id=req.id if req is not None else None, answer_id=answer.id if answer is not None else None,
        **_content_of(kind, data),
        question_subject=question.subject if question else None,
        question_agency=question.agency if question else None,
        question_journalist=question.journalist if question else None,
        due_at=emergency_due_at(data.event_at) if kind == PublicationKind.EMERGENCY.value and data.event_at else None,
        revision_number=1, published_at=moment, updated_at=moment, published_by_id=actor.id,
    )
    pub.unit = unit
    db.session.add(pub)
    db.session.flush()
    _reindex(pub)
    audit.record("publication.publish", actor=actor, obj_type="publication", obj_id=pub.id, unit_id=unit.id,
                 after={"slug": pub.slug, "title": pub.title, "kind": kind, "request_id": pub.request_id})
    fulfil_duties(actor, unit, kind, pub)
    log.info("publication %s published by unit %s", pub.slug, unit.code)
    return pub


def _attach_upload(actor: User, pub: Publication, upload: Upload | None) -> None:
    if upload is None:
        return

    attachments.store(upload.stream, upload.filename, max_bytes=upload.max_bytes, allowed=PUBLIC_FILE_KINDS,
                      purpose="publication", publication_id=pub.id, uploaded_by=actor, is_public=True)


def publishable_answer(req: PressRequest) -> Answer:
    """Return the sent answer of a request that may go on the news feed, or refuse (409) saying why not."""
    answer = final_answer(req)
    problem = policies.request_problem(req, answer)
    if problem or answer is None:
        raise DomainError(problem or _("Yêu cầu chưa có câu trả lời đã gửi."), status=409)
    return answer


def publish_answer(actor: User, req: PressRequest, data: PublicationData, *,
                   upload: Upload | None = None) -> Publication:
    """Publish the sent answer of a request on the news feed and tell the journalist.

    The answer's public files go with it. A request has at most one item on the feed at a time:
    to change what was published, correct that item.
    """
    if not policies.can_publish_in(actor, req.unit):
        raise NotAllowed(_("Bạn không có quyền đăng tin nhân danh đơn vị này."))

    answer = publishable_answer(req)
    if live_publication_for(req) is not None:
        raise DomainError(_("Câu trả lời này đã được đăng. Muốn sửa nội dung, hãy cải chính tin đã đăng."), status=409)
    _validate(PublicationKind.ANSWER.value, data, now())
    pub = _create(actor, req.unit, PublicationKind.ANSWER.value, data, req=req, answer=answer,
                  question=question_of(req))
    # The answer's public files move to the new item (from an earlier, withdrawn item too).
    withdrawn_ids = select(Publication.id).where(Publication.withdrawn_at.is_not(None))
    db.session.execute(
        update(Attachment)
        .where(Attachment.answer_id == answer.id, Attachment.is_public.is_(True),
               or_(Attachment.publication_id.is_(None), Attachment.publication_id.in_(withdrawn_ids)))
        .values(publication_id=pub.id)
        .execution_options(synchronize_session=False)
    )
    _attach_upload(actor, pub, upload)
    audit.record("request.published", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
                 public=True, after={"publication_slug": pub.slug, "title": pub.title})
    events.request_published.send(req, publication=pub, actor=actor)
    return pub


def publish_statement(actor: User, unit: Unit, kind: str, data: PublicationData, *,
                      upload: Upload | None = None) -> Publication:
    """Publish a statement made without a request: emergency, periodic, press-conference notice or outcome."""
    if kind not in {k.value for k in STATEMENT_KINDS}:
        raise DomainError(_("Loại tin không hợp lệ."), status=400)
    if not policies.can_publish_in(actor, unit):
        raise NotAllowed(_("Bạn không có quyền đăng tin nhân danh đơn vị này."))
    if not unit.is_active:
        raise DomainError(_("Đơn vị đã ngừng hoạt động."), status=409)
    _validate(kind, data, now())
    pub = _create(actor, unit, kind, data)
    _attach_upload(actor, pub, upload)
    return pub


def _content(pub: Publication | PublicationRevision) -> dict[str, Any]:
    return {"title": pub.title, "summary": pub.summary, "body": pub.body, "speaker_name": pub.speaker_name,
            "speaker_title": pub.speaker_title, "event_at": pub.event_at, "conference_at": pub.conference_at}


def correct(actor: User, pub: Publication, data: PublicationData, note: str) -> PublicationRevision:
    """Correct a published item (cải chính): freeze the previous content as a revision, then change it."""
    if not policies.can_publish_in(actor, pub.unit):
        raise NotAllowed(_("Bạn không có quyền cải chính tin của đơn vị này."))
    if pub.withdrawn_at is not None:
        raise DomainError(_("Tin đã gỡ không thể cải chính."), status=409)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Vui lòng ghi nội dung cải chính."), status=400)
    _validate(pub.kind, data, now(), correcting=True)
    new = _content_of(pub.kind, data)
    before = _content(pub)
    if new == before:
        raise DomainError(_("Nội dung chưa thay đổi: không có gì để cải chính."), status=400)
    moment = now()
    revision = PublicationRevision(
        publication_id=pub.id, number=pub.revision_number, valid_from=pub.corrected_at or pub.published_at,
        valid_until=moment, correction_note=note, created_by_id=actor.id, **before,
    )
    db.session.add(revision)
    for name, value in new.items():
        setattr(pub, name, value)
    if pub.kind == PublicationKind.EMERGENCY.value and pub.event_at is not None:
        pub.due_at = emergency_due_at(pub.event_at)
    pub.revision_number = pub.revision_number + 1
    pub.corrected_at = moment
    pub.updated_at = moment
    db.session.flush()
    _reindex(pub)
    changed = sorted(k for k in new if new[k] != before[k])
    audit.record("publication.correct", actor=actor, obj_type="publication", obj_id=pub.id, unit_id=pub.unit_id,
                 before={k: before[k] for k in changed}, after={**{k: new[k] for k in changed}, "note": note,
                                                                 "revision": pub.revision_number})
    log.info("publication %s corrected (revision %d)", pub.slug, pub.revision_number)
    return revision


def withdraw(actor: User, pub: Publication, reason: str) -> None:
    """Withdraw an item: its address stays, showing a public notice with the reason instead of the body."""
    if not policies.can_publish_in(actor, pub.unit):
        raise NotAllowed(_("Bạn không có quyền gỡ tin của đơn vị này."))
    if pub.withdrawn_at is not None:
        raise DomainError(_("Tin này đã được gỡ."), status=409)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Vui lòng nêu lý do gỡ tin."), status=400)
    moment = now()
    pub.withdrawn_at = moment
    pub.withdrawn_reason = reason
    pub.updated_at = moment
    db.session.flush()
    index_object(SEARCH_TYPE, pub.id, [])  # a withdrawn item is no longer found by search
    audit.record("publication.withdraw", actor=actor, obj_type="publication", obj_id=pub.id, unit_id=pub.unit_id,
                 after={"slug": pub.slug, "reason": reason})
    log.info("publication %s withdrawn", pub.slug)


# --------------------------------------------------------------------------- recurring duties


def add_months(day: date, months: int) -> date:
    """Return the same day *months* later, clamped to the month's end (31/3 + 3 → 30/6)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class DutyData:
    """A recurring duty as entered by the head."""

    label: str
    publication_kind: str
    every_months: int
    next_due_on: date
    remind_days_before: int = 14
    citation: str | None = None
    active: bool = True


def save_duty(actor: User, unit: Unit, data: DutyData, duty: RecurringDuty | None = None) -> RecurringDuty:
    """Create or change a unit's recurring duty (heads only)."""
    if not policies.can_manage_duties(actor, unit) or (duty is not None and duty.unit_id != unit.id):
        raise NotAllowed(_("Chỉ người đứng đầu đơn vị được thiết lập nghĩa vụ định kỳ."))
    if data.publication_kind not in {k.value for k in PublicationKind}:
        raise DomainError(_("Loại tin không hợp lệ."), status=400)
    if not 1 <= data.every_months <= MAX_EVERY_MONTHS:
        raise DomainError(_("Chu kỳ phải từ 1 đến %(n)d tháng.", n=MAX_EVERY_MONTHS), status=400)
    if not data.label.strip():
        raise DomainError(_("Vui lòng nhập tên nghĩa vụ."), status=400)
    created = duty is None
    before = _duty_snapshot(duty) if duty is not None else None
    if duty is None:
        duty = RecurringDuty(unit_id=unit.id)
        duty.unit = unit
        db.session.add(duty)
    duty.label = data.label.strip()
    duty.publication_kind = data.publication_kind
    duty.every_months = data.every_months
    duty.next_due_on = data.next_due_on
    duty.remind_days_before = max(data.remind_days_before, 0)
    duty.citation = (data.citation or "").strip() or None
    duty.active = data.active
    db.session.flush()
    audit.record("duty.create" if created else "duty.update", actor=actor, obj_type="recurring_duty",
                 obj_id=duty.id, unit_id=unit.id, before=before, after=_duty_snapshot(duty))
    return duty


def _duty_snapshot(duty: RecurringDuty) -> dict[str, Any]:
    return {"label": duty.label, "kind": duty.publication_kind, "every_months": duty.every_months,
            "next_due_on": duty.next_due_on, "remind_days_before": duty.remind_days_before, "active": duty.active}


def fulfil_duties(actor: User | None, unit: Unit, kind: str, pub: Publication) -> list[RecurringDuty]:
    """Start the next cycle of the unit's duties that this publication fulfils.

    A publication fulfils a duty of its kind when it falls in the duty's current cycle (after
    the previous due date). The next due date then moves on by the period, past the
    publication date, so a late fulfilment does not leave an already-missed cycle showing.
    """
    published_on = pub.published_at.astimezone(VN_TZ).date()
    duties = db.session.execute(
        select(RecurringDuty).where(RecurringDuty.unit_id == unit.id, RecurringDuty.publication_kind == kind,
                                    RecurringDuty.active.is_(True))
    ).scalars().all()
    advanced = []
    for duty in duties:
        if published_on <= add_months(duty.next_due_on, -duty.every_months):
            continue  # an earlier cycle: this duty's current one has not started yet
        old = duty.next_due_on
        next_due = add_months(old, duty.every_months)
        while next_due <= published_on:
            next_due = add_months(next_due, duty.every_months)
        duty.next_due_on = next_due
        duty.last_fulfilled_at = pub.published_at
        duty.last_publication_id = pub.id
        audit.record("duty.fulfil", actor=actor, obj_type="recurring_duty", obj_id=duty.id, unit_id=unit.id,
                     before={"next_due_on": old}, after={"next_due_on": next_due, "publication": pub.slug})
        advanced.append(duty)
    db.session.flush()
    return advanced


@dataclass(frozen=True)
class DueDuty:
    """A recurring duty that is due soon or overdue, for the staff home."""

    duty: RecurringDuty
    unit: Unit
    due_on: date
    days_left: int

    @property
    def overdue(self) -> bool:
        """Return whether the due date has passed."""
        return self.days_left < 0


def due_duties(user: Any, on: date | None = None) -> list[DueDuty]:
    """Return the duties of the user's units that are due (within their reminder window) or overdue.

    For the staff home: a duty shows until a publication of its kind is published by its
    unit, which starts the next cycle. Two queries whatever the number of duties.
    """
    on = on or today_vn()
    unit_ids = {u.id for u in policies.publish_units(user)} | {u.id for u in policies.duty_units(user)}
    if not unit_ids:
        return []
    duties = db.session.execute(
        select(RecurringDuty).where(RecurringDuty.unit_id.in_(unit_ids), RecurringDuty.active.is_(True))
        .order_by(RecurringDuty.next_due_on, RecurringDuty.id)
    ).scalars().all()
    return [DueDuty(d, d.unit, d.next_due_on, (d.next_due_on - on).days) for d in duties
            if d.next_due_on - timedelta(days=d.remind_days_before) <= on]


def duties_of(units: list[Unit]) -> list[RecurringDuty]:
    """Return every recurring duty of the given units, by unit and due date."""
    if not units:
        return []
    return list(db.session.execute(
        select(RecurringDuty).where(RecurringDuty.unit_id.in_([u.id for u in units]))
        .order_by(RecurringDuty.unit_id, RecurringDuty.next_due_on)
    ).scalars())


# --------------------------------------------------------------------------- public reading


class BadFilter(ValueError):
    """A list filter that cannot be understood; ``message`` is shown to the reader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normal_month(value: str | None) -> str | None:
    """Return a month typed MM/YYYY as YYYY-MM (what a month picker shows and sends); anything else as given."""
    if value and "/" in value:
        month_s, _sep, year_s = value.partition("/")
        if month_s.isdigit() and year_s.isdigit() and len(year_s) == 4 and len(month_s) <= 2:
            return f"{year_s}-{int(month_s):02d}"
    return value


def shown_month(value: str | None) -> str:
    """Return a month as people write it in the month box (MM/YYYY); text that is no month as typed."""
    normal = normal_month(value)
    if normal and len(normal) == 7 and normal[4] == "-" and normal[:4].isdigit() and normal[5:].isdigit():
        return f"{normal[5:]}/{normal[:4]}"
    return value or ""


def parse_month(value: str) -> tuple[datetime, datetime]:
    """Return the UTC bounds of a Vietnamese calendar month given as YYYY-MM (as a month picker sends it) or MM/YYYY."""
    try:
        year_s, month_s = (normal_month(value) or "").split("-")
        if len(year_s) != 4 or len(month_s) != 2:
            raise ValueError(value)
        year, month = int(year_s), int(month_s)
        start = datetime(year, month, 1, tzinfo=VN_TZ)
    except ValueError as err:
        raise BadFilter(_("Tháng phải có dạng MM/YYYY hoặc YYYY-MM, ví dụ 07/2026.")) from err
    if not 2000 <= year <= 2100:
        raise BadFilter(_("Tháng phải có dạng MM/YYYY hoặc YYYY-MM, ví dụ 07/2026."))
    end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
    end = datetime(end_year, end_month, 1, tzinfo=VN_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class NewsFilter:
    """The filters of the public list and the API."""

    unit: Unit | None = None
    kind: str | None = None
    month: str | None = None
    q: str | None = None
    include_withdrawn: bool = False


def unit_by_code(code: str | None) -> Unit | None:
    """Return the unit a public code stands for, or None; a merged unit's code gives the unit that absorbed it.

    Its items moved there with the merge, so an old code in a bookmark, a feed reader or an
    API client keeps finding them.
    """
    if not code or len(code) > 40:
        return None
    return resolve_unit(code)[0]


def news_query(flt: NewsFilter) -> Select:
    """Return the SELECT of public items matching the filters, newest first (units eager-loaded)."""
    stmt = select(Publication)
    if not flt.include_withdrawn:
        stmt = stmt.where(Publication.withdrawn_at.is_(None))
    if flt.unit is not None:
        stmt = stmt.where(Publication.unit_id == flt.unit.id)
    if flt.kind:
        if flt.kind not in {k.value for k in PublicationKind}:
            raise BadFilter(_("Loại tin không hợp lệ."))
        stmt = stmt.where(Publication.kind == flt.kind)
    if flt.month:
        start, end = parse_month(flt.month)
        stmt = stmt.where(Publication.published_at >= start, Publication.published_at < end)
    if flt.q and flt.q.strip():
        found = matching_condition(SEARCH_TYPE, flt.q[:200], Publication.id)
        if found is not None:
            stmt = stmt.where(found)
    return stmt.order_by(Publication.published_at.desc(), Publication.id.desc())


NEWS_KEYS = (Publication.published_at, Publication.id)


def news_page(flt: NewsFilter, page: int, per_page: int, cursor: Cursor | None = None, *,
              counted: bool = True) -> CountedPagination:
    """Return a page of the public list (the news list, a unit's page, the API), newest first.

    The rows come by keyset from ``cursor`` on when given (the next-page links carry one),
    else by page number; ``next_cursor`` leads on. The total of a filtered list is counted
    once per page-cache content version (a commit touching publications turns it over); a
    search counts up to ``SEARCH_EXACT_UP_TO`` matches exactly and says "more than" beyond.
    ``counted=False`` leaves the total out (None). Raises BadFilter for filters that cannot be
    understood.
    """
    stmt = news_query(flt)
    if not counted:
        return paginate_counted(stmt, page=page, per_page=per_page, keys=NEWS_KEYS, after=cursor, count=False)
    if flt.q and flt.q.strip():
        return paginate_counted(stmt, page=page, per_page=per_page, exact_up_to=SEARCH_EXACT_UP_TO,
                                keys=NEWS_KEYS, after=cursor, estimate=False)
    key = "|".join(["news-total", str(flt.unit.id if flt.unit else ""), flt.kind or "", flt.month or "",
                    str(flt.include_withdrawn)])
    count = select(func.count()).select_from(stmt.order_by(None).with_only_columns(Publication.id).subquery())
    return paginate_counted(stmt, page=page, per_page=per_page, keys=NEWS_KEYS, after=cursor,
                            total=lambda: int(pagecache.remember(key, lambda: str(db.session.execute(count).scalar_one()))))


def latest(limit: int = 20, unit: Unit | None = None) -> list[Publication]:
    """Return the newest items still on the feed (one query, units joined)."""
    return list(db.session.execute(news_query(NewsFilter(unit=unit)).limit(limit)).scalars())


def find_by_slug(slug: str) -> Publication | None:
    """Return the item with this permalink slug (withdrawn ones too), or None."""
    if not slug or len(slug) > 120:
        return None
    return db.session.execute(
        select(Publication).options(selectinload(Publication.revisions)).where(Publication.slug == slug)
    ).scalar_one_or_none()


def latest_note(pub: Publication) -> str | None:
    """Return the note of the newest correction, if the item was corrected."""
    return pub.revisions[-1].correction_note if pub.revisions else None


def public_files(pub: Publication) -> list[Attachment]:
    """Return the public files of an item (none once it is withdrawn)."""
    if pub.withdrawn_at is not None:
        return []
    return list(db.session.execute(
        select(Attachment).where(Attachment.publication_id == pub.id, Attachment.is_public.is_(True))
        .order_by(Attachment.id)
    ).scalars())


def answer_files(answer: Answer) -> list[Attachment]:
    """Return the public files of a sent answer: they are published with it."""
    return list(db.session.execute(
        select(Attachment).where(Attachment.answer_id == answer.id, Attachment.is_public.is_(True))
        .order_by(Attachment.id)
    ).scalars())


def units_with_items() -> list[Unit]:
    """Return the units that have published something, by name (the list's unit filter)."""
    return list(db.session.execute(
        select(Unit).where(exists().where(Publication.unit_id == Unit.id)).order_by(Unit.name)
    ).scalars())


@dataclass
class FeedState:
    """What decides whether a feed changed: its newest update and its size."""

    last_modified: datetime | None
    count: int
    items: list[Publication] = field(default_factory=list)


def feed_state(unit: Unit | None = None) -> FeedState:
    """Return the newest ``updated_at`` and the number of items of a feed (one query)."""
    stmt = select(func.max(Publication.updated_at), func.count(Publication.id))
    if unit is not None:
        stmt = stmt.where(Publication.unit_id == unit.id)
    last, count = db.session.execute(stmt).one()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)  # SQLite forgets the zone of an aggregate
    return FeedState(last_modified=last, count=count)


def feed_items(unit: Unit | None = None, limit: int = 50) -> list[Publication]:
    """Return the items of a feed, most recently updated first, withdrawn ones included.

    Corrections and withdrawals bump ``updated_at``, so feed readers see them as updates.
    """
    stmt = select(Publication).options(selectinload(Publication.revisions))
    if unit is not None:
        stmt = stmt.where(Publication.unit_id == unit.id)
    stmt = stmt.order_by(Publication.updated_at.desc(), Publication.id.desc()).limit(limit)
    return list(db.session.execute(stmt).scalars())


def unpublished_answers(units: list[Unit], limit: int = 20) -> list[PressRequest]:
    """Return the units' answered requests that have no item on the feed, newest answer first.

    The staff list offers to publish them; whether each one can be published is still checked
    when the form opens (its answer must be a sent answer, not a refusal).
    """
    if not units:
        return []
    live = select(Publication.id).where(Publication.request_id == PressRequest.id, Publication.withdrawn_at.is_(None))
    return list(db.session.execute(
        select(PressRequest)
        .where(PressRequest.unit_id.in_([u.id for u in units]), PressRequest.state == RequestState.ANSWERED.value,
               ~live.exists())
        .order_by(PressRequest.answered_at.desc(), PressRequest.id.desc())
        .limit(limit)
    ).scalars())


def staff_query(units: list[Unit]) -> Select:
    """Return the SELECT of the items of the given units, newest first, for the staff list."""
    return (
        select(Publication)
        .where(Publication.unit_id.in_([u.id for u in units] or [-1]))
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
