"""Rules of the public portal: the unit list, question intake, tracking access, the public
timeline and the spokesperson directory.

Decisions recorded here (see also the report of issue 5):

* "Không rõ đơn vị nào" goes to the ``intake_overseer_id`` of the root-most active unit that
  sets one (smallest depth, then path); when no unit sets one, or the target is inactive, it
  goes to the top-level unit itself. The admin thus chooses the overseer on the portal's root
  (the demo sets it on the district, whose office routes the questions).
* A double submit is recognised by ``submission_key``: SHA-256 of the normalised e-mail, the
  resolved unit id, the type, the folded subject and questions and a 10-minute time bucket.
  The previous bucket is checked as well, so a repeat that straddles a bucket boundary is
  still caught (the window is 10 to 20 minutes). A repeat shows the first request's
  confirmation again, without the tracking link: only the token's hash is stored, so the link
  cannot be shown twice; it was e-mailed with the first confirmation.
* Access to a request on the portal is proven only by the secret token (issue 17): reference +
  e-mail merely mails a fresh link to that address, which revokes the old one. Opened requests
  are kept in the signed session cookie with a digest of the link's hash (at most
  ``MAX_TRACKED`` of them); follow-up, withdrawal and downloads check that the digest still
  matches, so one request's token never opens another and a revoked link opens nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import IO, Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from spokes.attachments import store as attachments
from spokes.attachments.models import Attachment
from spokes.audit.history import HistoryEntry, public_history
from spokes.audit.services import public_events
from spokes.auth.models import User
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError
from spokes.core.markdown import render_markdown
from spokes.core.text import fold
from spokes.core.uploads import UploadRejected
from spokes.extensions import db
from spokes.press_requests import services as requests_svc
from spokes.press_requests.models import (
    AGENCY_STARTED_TYPES,
    Channel,
    Message,
    MessageKind,
    PressRequest,
    RequestType,
)
from spokes.press_requests.services import IntakeData, JournalistData
from spokes.press_requests.answer_models import Answer, AnswerKind
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.services import PublicSpeaker, designation_in_force, published_designations
from spokes.notifications.models import OutboxMail

log = logging.getLogger(__name__)

PUBLIC_TYPES = tuple(t for t in RequestType if t is not RequestType.EMERGENCY)
# The types whose clock starts from the press agency's document; others keep it as a plain attachment.
AGENCY_DOCUMENT_TYPES = frozenset(t.value for t in AGENCY_STARTED_TYPES)
UNKNOWN_UNIT = 0  # the select's value for "Không rõ đơn vị nào"
BUCKET_SECONDS = 600
SESSION_KEY = "portal_access"
MAX_TRACKED = 20


# --------------------------------------------------------------------------- units


def active_units_in_tree_order() -> list[Unit]:
    """Return the active units depth-first, siblings by name (one query)."""
    units = list(db.session.execute(select(Unit).where(Unit.is_active.is_(True))).scalars())
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        # A unit under an inactive parent is shown at the top rather than hidden.
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent: int | None) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (fold(u.name), u.id)):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def unit_choices() -> list[tuple[int, str]]:
    """Return (id, label) pairs for the unit select, indented by depth in the tree."""
    units = active_units_in_tree_order()
    if not units:
        return []
    base = min(u.depth for u in units)
    choices = [(UNKNOWN_UNIT, _("Không rõ đơn vị nào (chuyển văn phòng tiếp nhận)"))]
    for unit in units:
        # No-break spaces survive inside <option>, so the tree shows on every browser.
        choices.append((unit.id, "\u00a0\u00a0\u00a0" * (unit.depth - base) + unit.name))
    return choices


def active_unit_id(code: str | None) -> int | None:
    """Return the id of the active unit with this code (a link's ``?unit=``), or None."""
    code = (code or "").strip()
    if not code or len(code) > 40:
        return None
    return db.session.execute(
        select(Unit.id).where(Unit.code == code, Unit.is_active.is_(True))
    ).scalar_one_or_none()


def unknown_unit_target() -> Unit | None:
    """Return the unit that receives questions sent to "I don't know which unit"."""
    setter = db.session.execute(
        select(Unit)
        .where(Unit.is_active.is_(True), Unit.intake_overseer_id.is_not(None))
        .order_by(Unit.depth, Unit.path)
        .limit(1)
    ).scalar_one_or_none()
    if setter is not None:
        target = db.session.get(Unit, setter.intake_overseer_id)
        if target is not None and target.is_active:
            return target
    return db.session.execute(
        select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.depth, Unit.name, Unit.id).limit(1)
    ).scalar_one_or_none()


def resolve_unit(unit_id: int) -> Unit:
    """Return the active unit a question goes to (0 means the overseer for unknown units)."""
    unit = unknown_unit_target() if unit_id == UNKNOWN_UNIT else db.session.get(Unit, unit_id)
    if unit is None or not unit.is_active:
        raise DomainError(_("Đơn vị này không còn tiếp nhận câu hỏi; vui lòng chọn đơn vị khác."), status=400)
    return unit


# --------------------------------------------------------------------------- asking


@dataclass
class QuestionData:
    """What the public form collected (already validated field by field): who asks, and what."""

    journalist: JournalistData  # name, agency, e-mail and phone are required on the form
    unit_id: int
    type: str
    subject: str
    questions: str
    article_url: str | None = None
    interview_wanted_at: datetime | None = None
    interview_place: str | None = None


@dataclass
class Submission:
    """The outcome of a submit: the request, and its token unless this was a repeat."""

    request: PressRequest
    token: str | None
    duplicate: bool
    # The name of an agency document sent with a type it does not start: kept as a plain attachment.
    kept_document: str | None = None


def card_problem(expiry: date | None, today: date) -> str | None:
    """Return why a press card's expiry is not acceptable today, or None (JR-06: 5 years)."""
    if expiry is None:
        return _("Vui lòng nhập ngày hết hạn của thẻ nhà báo.")
    if expiry < today:
        return _(
            "Thẻ nhà báo đã hết hạn từ ngày %(date)s nên không còn giá trị. Vui lòng chọn “Tôi không có thẻ "
            "nhà báo còn hạn” và gửi kèm giấy giới thiệu của cơ quan báo chí.",
            date=expiry.strftime("%d/%m/%Y"),
        )
    if (expiry - today).days > 5 * 366 + 31:
        return _("Ngày hết hạn không hợp lệ: thẻ nhà báo có giá trị tối đa 5 năm.")
    return None


def submission_key(email: str, unit_id: int, type_: str, subject: str, questions: str, at: datetime,
                   *, buckets_back: int = 0) -> str:
    """Return the de-duplication key of a submission in the 10-minute bucket of ``at``."""
    bucket = int(at.timestamp()) // BUCKET_SECONDS - buckets_back
    parts = [email.strip().lower(), str(unit_id), type_, fold(subject), fold(questions), str(bucket)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _find_by_keys(keys: list[str]) -> PressRequest | None:
    return db.session.execute(
        select(PressRequest).where(PressRequest.submission_key.in_(keys)).order_by(PressRequest.id).limit(1)
    ).scalar_one_or_none()


def logged_type(requested: str, has_agency_document: bool) -> str:
    """Return the type a web-form question is logged as (issue 15, item 6).

    In law the press_answer duty starts from a written request of the head of a press agency
    (Law 2016 Điều 39; Law 2025 Điều 32; ND 237 Điều 18) and the forwarded duties from an item
    the agency forwards. Without that document the question is an ``information`` request.
    """
    if requested in {t.value for t in AGENCY_STARTED_TYPES} and not has_agency_document:
        return RequestType.INFORMATION.value
    return requested


def submit_question(
    data: QuestionData, *, letter: IO[bytes] | None = None, letter_filename: str | None = None,
    max_bytes: int, agency_document: IO[bytes] | None = None, agency_document_filename: str | None = None,
) -> Submission:
    """Log a question from the public form, or return the request a repeat of it created.

    A press card holder is never asked for a letter (JR-01/02); without a valid card the
    letter of introduction is required (JR-03) and stored, private, with the request. A
    press_answer or forwarded item without the press agency's document is logged as
    ``information`` and keeps the chosen type in ``requested_type``.
    """
    if data.type not in {t.value for t in PUBLIC_TYPES}:
        raise DomainError(_("Loại yêu cầu này không nhận qua cổng thông tin."), status=400)
    who = data.journalist
    has_card = bool(who.press_card_number)
    if has_card and (problem := card_problem(who.press_card_expiry, today_vn())):
        raise DomainError(problem, status=400)
    if not has_card and letter is None:
        raise DomainError(_("Vui lòng nhập thẻ nhà báo còn hạn hoặc gửi kèm giấy giới thiệu."), status=400)
    unit = resolve_unit(data.unit_id)
    moment = now()
    keys = [submission_key(who.email or "", unit.id, data.type, data.subject, data.questions, moment, buckets_back=b)
            for b in (0, 1)]
    existing = _find_by_keys(keys)
    if existing is not None:
        log.info("repeat submission of %s ignored", existing.reference)
        return Submission(existing, None, True)
    type_ = logged_type(data.type, agency_document is not None)
    intake = IntakeData(
        type=type_, requested_type=data.type if type_ != data.type else None, channel=Channel.WEB_FORM.value, subject=data.subject, questions=data.questions,
        journalist=who if has_card else replace(who, press_card_number=None, press_card_expiry=None),
        article_url=data.article_url,
        interview_wanted_at=data.interview_wanted_at if data.type == RequestType.INTERVIEW.value else None,
        interview_place=data.interview_place if data.type == RequestType.INTERVIEW.value else None,
        submission_key=keys[0],
    )
    try:
        # A savepoint: two identical posts racing past the check above collide on the unique
        # submission_key; the loser drops its half-made request and shows the winner's.
        with db.session.begin_nested():
            req, token = requests_svc.intake(None, unit, intake)
    except IntegrityError:
        existing = _find_by_keys(keys)
        if existing is None:
            raise
        log.info("concurrent repeat submission of %s ignored", existing.reference)
        return Submission(existing, None, True)
    if not has_card and letter is not None:
        attachments.store(letter, letter_filename, max_bytes=max_bytes, allowed=attachments.PUBLIC_KINDS,
                          purpose="letter", request_id=req.id, is_public=False)
    kept_document = None
    if agency_document is not None:
        # On a type whose clock it starts it is the agency's request; on another type (the form
        # hides the field there, but a browser without the script still sends it) it is kept as
        # a plain private attachment and the journalist is told, never silently dropped.
        starts_clock = type_ == data.type and type_ in AGENCY_DOCUMENT_TYPES
        try:
            stored = attachments.store(
                agency_document, agency_document_filename, max_bytes=max_bytes, allowed=attachments.PUBLIC_KINDS,
                purpose="agency_request" if starts_clock else "evidence", request_id=req.id, is_public=False)
        except UploadRejected as err:
            err.field = "agency_document"  # type: ignore[attr-defined]  # the view shows it on that field
            raise
        if not starts_clock:
            kept_document = stored.display_name
    return Submission(req, token, False, kept_document)


@dataclass(frozen=True)
class WantedInterview:
    """The interview a journalist asked for, as the portal shows it back to them."""

    at: datetime
    place: str


def wanted_interview(req: PressRequest) -> WantedInterview | None:
    """Return the interview time and place asked for (no place: the unit's office), or None."""
    if req.interview_wanted_at is None:
        return None
    return WantedInterview(req.interview_wanted_at, req.interview_place or _("Tại trụ sở đơn vị"))


@dataclass
class Speaker:
    """The public face of a unit's spokesperson."""

    name: str
    title: str | None
    phone: str | None = None
    email: str | None = None

    @classmethod
    def of(cls, user: User, designation: Designation | None) -> Speaker:
        """Return a person as the public sees them: with their designation's title and public contacts, if any."""
        if designation is None:
            return cls(user.name, user.title)
        return cls(user.name, designation.title or user.title, designation.public_phone, designation.public_email)


def speaker_of(unit: Unit) -> Speaker | None:
    """Return who speaks for the unit today, with only the details the directory publishes."""
    user, designation = requests_svc.current_speaker(unit)
    return Speaker.of(user, designation) if user is not None else None


def answering_speaker(req: PressRequest) -> Speaker | None:
    """Return the person who actually answers this request, as the public should see them (issue 20).

    That is the assignee, with the title of their designation for the request's unit when one is
    in force (the directory's contact details with it); a request nobody holds yet shows the
    unit's current speaker.
    """
    user = req.assignee
    if user is None:
        return speaker_of(req.unit)
    return Speaker.of(user, designation_in_force(user, req.unit))


@dataclass(frozen=True)
class ReceiptMail:
    """Where the journalist's confirmation e-mail stands: "pending", "sent" or "failed"."""

    status: str
    sent_at: datetime | None = None


def receipt_mail(req: PressRequest) -> ReceiptMail | None:
    """Return the state of the confirmation e-mail in the outbox (None when none was queued: no address)."""

    row = db.session.execute(
        select(OutboxMail.status, OutboxMail.sent_at).where(OutboxMail.dedupe_key == f"journalist:{req.id}:received")
    ).first()
    return ReceiptMail(row.status, row.sent_at) if row else None


# --------------------------------------------------------------------------- tracking access


def grant_access(session: MutableMapping[str, Any], req: PressRequest) -> None:
    """Remember in the (signed) session that this browser opened a request with its current link.

    The session keeps the request id with a digest of the link's hash, so a link the journalist
    has since replaced (a new one revokes the old) no longer opens anything, even in a browser
    that used it before.
    """
    entries = [e for e in session.get(SESSION_KEY, [])
               if isinstance(e, list) and len(e) == 2 and e[0] != req.id]
    entries.append([req.id, _link_digest(req)])
    session[SESSION_KEY] = entries[-MAX_TRACKED:]


def _link_digest(req: PressRequest) -> str:
    return (req.token_hash or "")[:16]


def has_access(session: MutableMapping[str, Any], req: PressRequest) -> bool:
    """Return whether this browser opened the request with the link that is valid now."""
    if not req.token_hash:
        return False
    digest = _link_digest(req)
    return any(isinstance(e, list) and len(e) == 2 and e[0] == req.id and e[1] == digest
               for e in session.get(SESSION_KEY, []))


def send_new_link(reference: str, email: str) -> bool:
    """Mail a fresh tracking link to the journalist if the reference and e-mail match; revoke the old.

    Returns whether a link was sent; the view must answer the same either way, so that
    reference + e-mail proves nothing to whoever typed them: only the mailbox gets the link.
    """
    req = requests_svc.find_by_reference_and_email(reference, email)
    if req is None:
        return False
    requests_svc.renew_tracking_link(req)
    return True


def request_by_reference(reference: str) -> PressRequest | None:
    """Return the request with this public reference, or None."""
    if not reference or len(reference) > 40:
        return None
    return db.session.execute(
        select(PressRequest).where(PressRequest.reference == reference.strip().upper())
    ).scalar_one_or_none()


# --------------------------------------------------------------------------- the public timeline


def public_timeline(req: PressRequest) -> list[HistoryEntry]:
    """Return the journalist's timeline: public events only, in order (two queries)."""
    events = public_events("request", req.id)
    messages = {message_id: body for message_id, body in db.session.execute(
        select(Message.id, Message.body).where(
            Message.request_id == req.id,
            Message.kind.in_([MessageKind.FROM_JOURNALIST.value, MessageKind.TO_JOURNALIST.value]),
        )
    )}
    return public_history(events, messages, lambda slug: url_for("publishing.item", slug=slug))


@dataclass
class PublicOutcome:
    """What the journalist reads as the result: the answer or the refusal."""

    kind: str
    body_html: Markup | None
    speaker: str | None
    sent_at: datetime | None
    refusal_ground: str | None = None
    refusal_source: str | None = None
    refusal_reason: str | None = None
    files: list[Attachment] = field(default_factory=list)


def public_outcome(req: PressRequest) -> PublicOutcome | None:
    """Return the sent answer (Markdown rendered) or refusal, with its public files, or None."""
    answer: Answer | None = requests_svc.final_answer(req)
    if answer is None:
        return None
    files = public_files(req, answer)
    speaker = answer.author
    speaker_text = (f"{speaker.name} — {speaker.title}" if speaker.title else speaker.name) if speaker else None
    if answer.kind == AnswerKind.REFUSAL.value:
        ground = req.refusal_ground or answer.refusal_ground
        return PublicOutcome(
            kind="refusal", body_html=render_markdown(answer.body) if answer.body.strip() else None,
            speaker=speaker_text, sent_at=answer.sent_at,
            refusal_ground=ground.text if ground else None, refusal_source=ground.source if ground is not None and ground.confidence != "U" else None,
            refusal_reason=req.refusal_reason or answer.refusal_reason, files=files,
        )
    return PublicOutcome(kind="answer", body_html=render_markdown(answer.body), speaker=speaker_text,
                         sent_at=answer.sent_at, files=files)


def public_files(req: PressRequest, answer: Answer | None) -> list[Attachment]:
    """Return the files the journalist may download: public ones of the request or its answer."""
    clauses = [Attachment.request_id == req.id]
    if answer is not None:
        clauses.append(Attachment.answer_id == answer.id)
    return list(db.session.execute(
        select(Attachment).where(or_(*clauses), Attachment.is_public.is_(True)).order_by(Attachment.id)
    ).scalars())


def public_file(req: PressRequest, attachment_id: int) -> Attachment | None:
    """Return one downloadable file of the request, or None if it is not public or not its own."""
    answer = requests_svc.final_answer(req)
    return next((a for a in public_files(req, answer) if a.id == attachment_id), None)


# --------------------------------------------------------------------------- directory


@dataclass
class DirectoryEntry:
    """A unit in the directory with its current speakers."""

    unit: Unit
    heads: list[PublicSpeaker] = field(default_factory=list)
    designated: list[PublicSpeaker] = field(default_factory=list)
    authorised: list[PublicSpeaker] = field(default_factory=list)
    children: list[DirectoryEntry] = field(default_factory=list)
    ancestors: list[str] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        """Return whether the unit publishes no head or designated spokesperson (SP-07)."""
        return not self.heads and not self.designated


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def directory(query: str | None = None, on: date | None = None) -> list[DirectoryEntry]:
    """Return the public directory as a tree, or the units whose folded name, or a speaker's, matches ``query``.

    Three queries whatever the size of the tree: units, matches (when searching) and the
    current designations with their people (a speaker's name is matched on those, folded as
    the unit names are: "mai" finds Trương Thị Mai).
    """
    on = on or today_vn()
    units = active_units_in_tree_order()
    by_id = {u.id: u for u in units}
    term = fold(query)[:100] if query else ""
    shown_ids: set[int] | None = None
    if term:
        shown_ids = set(db.session.execute(
            select(Unit.id).where(Unit.is_active.is_(True), Unit.name_folded.like(_like_pattern(term), escape="\\"))
        ).scalars())
    stmt = published_designations(on).order_by(Designation.unit_id, Designation.valid_from, Designation.id)
    designations = list(db.session.execute(stmt.options(contains_eager(Designation.user))).scalars())
    if shown_ids is not None:
        shown_ids |= {d.unit_id for d in designations if term in fold(d.user.name)}
    entries = {u.id: DirectoryEntry(unit=u) for u in units if shown_ids is None or u.id in shown_ids}
    for d in designations:
        entry = entries.get(d.unit_id)
        if entry is None:
            continue
        person = PublicSpeaker.of(d)
        {DesignationKind.HEAD.value: entry.heads, DesignationKind.DESIGNATED.value: entry.designated,
         DesignationKind.AUTHORISED.value: entry.authorised}[d.kind].append(person)
    if shown_ids is not None:
        result = []
        for unit in units:
            if unit.id in entries:
                entry = entries[unit.id]
                entry.ancestors = [by_id[int(i)].name for i in unit.path.strip("/").split("/")[:-1]
                                   if i.isdigit() and int(i) in by_id]
                result.append(entry)
        return result
    roots: list[DirectoryEntry] = []
    for unit in units:
        entry = entries[unit.id]
        parent = entries.get(unit.parent_id) if unit.parent_id is not None else None
        (parent.children if parent is not None else roots).append(entry)
    return roots
