"""Issuing official letters: the next number in the register, the file, the audit trail.

Services check, change, flush and audit; the caller commits once. A letter once issued is
never changed: a correction is a new letter that names the one it replaces.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from spokes.audit import services as audit
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import has_permission
from spokes.core import events
from spokes.core.clock import VN_TZ, now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.markdown import plain_text
from spokes.core.text import fold
from spokes.extensions import db
from spokes.letters import exports, layout, milestones, pdf, wording
from spokes.letters.layout import LetterText, render_docx
from spokes.letters.models import Letter, LetterKind, LetterSettings, RegisterCounter
from spokes.press_requests.models import PressRequest
from spokes.press_requests.services import final_answer
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.notifications.services import notify_heads_once
from spokes.press_requests.models import PressRequest as Req

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"^\s*0*(\d{1,9})\s*(?:/.*)?$")


# --------------------------------------------------------------------------- the register's numbers


def next_number(unit_id: int, year: int) -> int:
    """Take the next number of a unit's register for a year, inside the caller's transaction.

    One ``UPDATE … RETURNING`` on the counter row: the row lock makes concurrent issuers take
    turns (PostgreSQL), or the write lock does (SQLite), so numbers are distinct and, because a
    rolled-back issue rolls its increment back too, never skipped.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(RegisterCounter).values(unit_id=unit_id, year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["unit_id", "year"]))
    return db.session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.unit_id == unit_id, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
    ).scalar_one()


# --------------------------------------------------------------------------- what a letter says


@dataclass(frozen=True)
class Heading:
    """How the unit's letters are headed."""

    symbol: str
    place_name: str
    parent_body: str | None
    issuing_body: list[str]
    template_name: str | None = None


def heading_for(unit: Unit) -> Heading:
    """Return the unit's letter heading: its settings, or defaults from the unit tree."""
    parent_name = unit.parent.name if unit.parent is not None else None
    stored = db.session.get(LetterSettings, unit.id)
    parent_body, issuing_body = wording.heading(unit.name, parent_name)
    return Heading(
        symbol=stored.symbol if stored else wording.default_symbol(unit.name, unit.reference_prefix),
        place_name=stored.place_name if stored else wording.default_place_name(unit.name, parent_name),
        parent_body=parent_body, issuing_body=issuing_body, template_name=stored.template_name if stored else None,
    )


def save_heading(actor: User, unit: Unit, *, symbol: str, place_name: str) -> LetterSettings:
    """Set the unit's symbol and place name (head or admin of the unit); audited."""
    if not (has_permission(actor, Permission.ISSUE_LETTERS, unit) or has_permission(actor, Permission.MANAGE_UNITS, unit)):
        raise NotAllowed(_("Bạn không có quyền sửa thể thức văn bản của đơn vị %(name)s.", name=unit.name))
    stored = db.session.get(LetterSettings, unit.id)
    before = {"symbol": stored.symbol, "place_name": stored.place_name} if stored else None
    if stored is None:
        stored = LetterSettings(unit_id=unit.id, symbol=symbol, place_name=place_name)
        db.session.add(stored)
    stored.symbol, stored.place_name = symbol.strip(), place_name.strip()
    db.session.flush()
    audit.record("letter.settings_changed", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before=before, after={"symbol": stored.symbol, "place_name": stored.place_name})
    return stored


def save_template(actor: User, unit: Unit, name: str | None, data: bytes | None) -> None:
    """Set (or, with None, remove) the unit's own DOCX template, after checking it renders; audited."""
    if not (can_issue(actor, unit) or has_permission(actor, Permission.MANAGE_UNITS, unit)):
        raise NotAllowed(_("Bạn không có quyền sửa thể thức văn bản của đơn vị %(name)s.", name=unit.name))
    if data is not None:
        try:
            layout.check_template(data)
        except layout.TemplateError as err:
            raise DomainError(_("Không dùng được mẫu văn bản: %(why)s.", why=str(err)), 400) from err
    stored = db.session.get(LetterSettings, unit.id)
    if stored is None:
        current = heading_for(unit)
        stored = LetterSettings(unit_id=unit.id, symbol=current.symbol, place_name=current.place_name)
        db.session.add(stored)
    before = stored.template_name
    stored.template_docx, stored.template_name = data, (name or "mau.docx")[:255] if data is not None else None
    db.session.flush()
    audit.record("letter.template_changed", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before={"template": before}, after={"template": stored.template_name,
                                                     "sha256": hashlib.sha256(data).hexdigest() if data else None})


def _docx_of(unit: Unit, text: LetterText) -> bytes:
    """Return the letter as DOCX: with the unit's own template when it has one, else the built-in layout."""
    stored = db.session.get(LetterSettings, unit.id)
    if stored is not None and stored.template_name:
        try:
            return layout.render_with_template(stored.template_docx or b"", text)
        except layout.TemplateError as err:
            raise DomainError(_("Mẫu văn bản của đơn vị không dùng được: %(why)s.", why=str(err)), 409) from err
    return render_docx(text)


def facts_for(req: PressRequest) -> wording.RequestFacts:
    """Return what letters may say about a request, from what is recorded on it."""
    answer = final_answer(req)
    ground = req.refusal_ground
    journalist = req.journalist
    received_on = req.received_at.astimezone(VN_TZ).date()
    conclusion_on = req.conclusion_at.astimezone(VN_TZ).date() if req.conclusion_at else None
    return wording.RequestFacts(
        reference=req.reference, type=req.type, state=req.state, subject=req.subject, received_on=received_on,
        journalist_name=journalist.name if journalist else None,
        agency_name=journalist.agency.name if journalist and journalist.agency else None,
        article_url=req.article_url,
        # The answer is Markdown, as on the public page: the letter prints it with its lists and emphasis
        # (an answer with no text to print supports no letter).
        answer_body=answer.body if answer is not None and answer.kind == "answer" and plain_text(answer.body) else None,
        refusal_ground_text=ground.text if ground is not None else None,
        # An unverified source is never cited to the press (RULES.md: confidence U).
        refusal_ground_source=ground.source if ground is not None and ground.confidence != "U" else None,
        refusal_reason=req.refusal_reason,
        conclusion_on=conclusion_on,
        conclusion_document=req.conclusion_document,
        conclusion_summary=req.conclusion_summary,
    )


def available_kinds(req: PressRequest) -> list[LetterKind]:
    """Return the letters the request's records support now."""
    return wording.available_kinds(facts_for(req))


# Who signs first: the head (by law the unit's speaker), then the standing spokesperson, then a
# person authorised for a case or a topic. The first is what a letter form proposes.
_SIGNER_RANK = {DesignationKind.HEAD.value: 0, DesignationKind.DESIGNATED.value: 1,
                DesignationKind.AUTHORISED.value: 2}


def signers_for(unit: Unit, on: date | None = None, *, req: PressRequest | None = None) -> list[User]:
    """Return who may sign for the unit, heads first, then its spokespersons, each group by name.

    An authorisation for one case (SP-05) counts only on that case's request (``req``): it never
    makes its holder a signer of the unit's other letters.
    """
    on = on or today_vn()
    rank = {user_id: 0 for user_id in db.session.execute(select(Membership.user_id).where(
        Membership.unit_id == unit.id, Membership.role == Role.HEAD.value)).scalars()}
    designations = db.session.execute(select(Designation.user_id, Designation.kind, Designation.case_request_id).where(
        Designation.unit_id == unit.id, Designation.revoked_at.is_(None), Designation.valid_from <= on,
        or_(Designation.valid_to.is_(None), Designation.valid_to >= on))).all()
    for user_id, kind, case_id in designations:
        if case_id is not None and (req is None or case_id != req.id):
            continue
        rank[user_id] = min(rank.get(user_id, 3), _SIGNER_RANK.get(kind, 2))
    if not rank:
        return []
    users = db.session.execute(select(User).where(User.active.is_(True), User.id.in_(rank))).scalars()
    return sorted(users, key=lambda u: (rank[u.id], fold(u.name), u.id))


@dataclass(frozen=True)
class LetterChoices:
    """What the person issuing a letter decides; everything else comes from the records."""

    kind: LetterKind
    signer: User
    position: str
    summary: str
    recipient: str
    copies_to: list[str]
    # The sixth form: what is asked (feedback, correction, apology) and the unit's own milestone date.
    asks: tuple[str, ...] = ()
    publication_due_on: date | None = None


def default_choices(req: PressRequest, kind: LetterKind, signer: User) -> LetterChoices:
    """Return the choices a letter form starts from."""
    facts = facts_for(req)
    return LetterChoices(kind=kind, signer=signer, position=wording.position_from_title(signer.title),
                         summary=wording.summary(kind, facts), recipient=wording.recipient(facts),
                         copies_to=wording.copies_to(kind, facts))


def compose(req: PressRequest, choices: LetterChoices, *, number_and_symbol: str | None, issued_on: date,
            draft: bool = False) -> LetterText:
    """Return the full text of a letter of the request."""
    facts = facts_for(req)
    if choices.kind not in wording.available_kinds(facts):
        raise DomainError(_("Yêu cầu chưa có đủ dữ liệu cho loại văn bản này (ví dụ: chưa có câu trả lời đã gửi, "
                            "hoặc chưa có căn cứ từ chối)."), 409)
    heading = heading_for(req.unit)
    position = wording.upper(choices.position.strip())
    return LetterText(
        parent_body=heading.parent_body, issuing_body=heading.issuing_body, number_and_symbol=number_and_symbol,
        summary=choices.summary, place_name=heading.place_name, issued_on=issued_on, recipient=choices.recipient,
        paragraphs=wording.paragraphs(choices.kind, facts, req.unit.name, list(choices.asks) or None),
        copies_to=choices.copies_to,
        signer_authority=wording.authority(req.unit.name, position), signer_position=position,
        signer_name=choices.signer.name, draft=draft,
    )


def preview_docx(req: PressRequest, choices: LetterChoices) -> bytes:
    """Return an unnumbered draft of the letter (nothing is entered in the register)."""
    return _docx_of(req.unit, compose(req, choices, number_and_symbol=None, issued_on=today_vn(), draft=True))


def preview_pdf(req: PressRequest, choices: LetterChoices) -> bytes:
    """Return an unnumbered, unsigned draft of the letter as PDF."""
    return pdf.render_pdf(compose(req, choices, number_and_symbol=None, issued_on=today_vn(), draft=True))


def can_issue(user: Any, unit: Unit) -> bool:
    """Tell whether a user may issue letters in the unit's name (its head)."""
    return has_permission(user, Permission.ISSUE_LETTERS, unit)


def issue(actor: User, req: PressRequest, choices: LetterChoices, *, replaces: Letter | None = None,
          send: bool = True) -> Letter:
    """Take the next number, write the letter and enter it in the register; audited on the request.

    With ``send`` the journalist is e-mailed the letter (PDF, or DOCX where PDFs cannot be made).
    """
    if not can_issue(actor, req.unit):
        raise NotAllowed(_("Chỉ người đứng đầu %(name)s ban hành văn bản của đơn vị.", name=req.unit.name))
    if choices.signer.id not in {u.id for u in signers_for(req.unit, req=req)}:
        raise DomainError(_("Người ký phải là người đứng đầu hoặc người phát ngôn của đơn vị."), 400)
    if replaces is not None and (replaces.request_id != req.id or replaces.unit_id != req.unit_id):
        raise DomainError(_("Văn bản được thay thế không thuộc yêu cầu này."), 400)
    issued_on = today_vn()
    heading = heading_for(req.unit)
    # Compose first: a letter the records cannot support takes no number.
    text = compose(req, choices, number_and_symbol=None, issued_on=issued_on)
    letter = enter_in_register(actor, req.unit, choices.kind, text, choices, heading, replaces=replaces, request_id=req.id)
    if choices.kind is LetterKind.CORRECTION:
        due = milestones.milestone(issued_on, choices.publication_due_on)
        letter.publication_asks = ",".join(choices.asks or ("feedback", "correction"))
        letter.publication_due_at, letter.publication_rule = due.due_at, due.rule
        letter.publication_confidence = due.confidence
        db.session.flush()
    data, pdf_bytes = letter.docx, letter.pdf
    audit.record("request.letter_issued", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
                 after={"letter_id": letter.id, "number": letter.number_and_symbol, "kind": letter.kind,
                        "issued_on": issued_on.isoformat(), "sha256": letter.docx_sha256,
                        "replaces": replaces.number_and_symbol if replaces else None,
                        "publication_due_at": letter.publication_due_at})
    if send:
        if pdf_bytes is not None:
            events.letter_issued.send(req, letter=letter,
                                      file_name=exports.file_name(letter).removesuffix(".docx") + ".pdf",
                                      content_type="application/pdf", data=pdf_bytes)
        else:
            events.letter_issued.send(req, letter=letter, file_name=exports.file_name(letter),
                                      content_type=exports.DOCX_MIME, data=data)
    log.info("letter %s issued for %s by user %s", letter.number_and_symbol, req.reference, actor.id)
    return letter


def enter_in_register(actor: User, unit: Unit, kind: LetterKind, text: LetterText, choices: LetterChoices, heading: Heading, *,
           replaces: Letter | None = None, **links: int | None) -> Letter:
    """Take the next number of the unit's register and enter the composed letter with its files.

    The caller has composed the text already (a letter its records cannot support takes no
    number); ``links`` names what the letter is about (request_id, conference_id, designation_id).
    """
    issued_on = text.issued_on
    symbol = wording.doc_symbol(kind, heading.symbol)
    number = next_number(unit.id, issued_on.year)
    paragraphs = list(text.paragraphs)
    if replaces is not None:
        paragraphs.insert(0, f"Văn bản này thay thế Văn bản số {replaces.number_and_symbol} ngày "
                             f"{replaces.issued_on:%d/%m/%Y} của {unit.name}.")
    text = dataclasses.replace(text, number_and_symbol=f"{number:02d}/{symbol}", paragraphs=paragraphs)
    # A unit's own template is its công văn; named documents (decisions, notices) keep the standard layout.
    data = _docx_of(unit, text) if not text.doc_type else render_docx(text)
    pdf_bytes, signer_subject = _pdf_of(text, unit, reason=choices.summary, location=heading.place_name)
    letter = Letter(
        unit_id=unit.id, year=issued_on.year, number=number, symbol=symbol, kind=kind.value,
        issued_on=issued_on, summary=choices.summary, recipient=choices.recipient,
        copies_to="\n".join(choices.copies_to), signer_id=choices.signer.id, signer_name=choices.signer.name,
        signer_position=text.signer_position, signer_authority="\n".join(text.signer_authority),
        replaces_id=replaces.id if replaces else None, issued_by_id=actor.id,
        docx=data, docx_sha256=hashlib.sha256(data).hexdigest(), pdf=pdf_bytes, pdf_signer=signer_subject,
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest() if pdf_bytes else None, **links,
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def _pdf_of(text: LetterText, unit: Unit, *, reason: str, location: str) -> tuple[bytes | None, str | None]:
    """Return the letter's PDF, signed when the unit has a certificate; (None, None) where PDFs cannot be made."""
    certificate = pdf.certificate_for(unit.code)
    try:
        data = pdf.render_pdf(text, unsigned_note=certificate is None)
    except pdf.PdfUnavailable:
        log.warning("letter PDF not made: WeasyPrint or its system libraries are missing", exc_info=True)
        return None, None
    if certificate is None:
        return data, None
    return pdf.sign_pdf(data, certificate, reason=reason, location=location)


def attach_signed_copy(actor: User, letter: Letter, data: bytes) -> pdf.Verification:
    """Keep a signed copy of an issued letter (signed elsewhere, e.g. with the unit's token), if its signature holds.

    The copy must carry a signature that covers the whole file and a certificate trusted by
    this server's configured roots; anything else is refused and nothing is stored.
    """
    if not can_issue(actor, letter.unit):
        raise NotAllowed(_("Chỉ người đứng đầu %(name)s cập nhật bản ký số.", name=letter.unit.name))
    if not data.startswith(b"%PDF-"):
        raise DomainError(_("Tệp không phải PDF."), 400)
    check = pdf.verify_pdf(data)
    if not check.signed:
        raise DomainError(_("Tệp PDF không có chữ ký số."), 400)
    if not check.intact:
        raise DomainError(_("Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký."), 400)
    if not check.trusted:
        raise DomainError(_("Chứng thư số của người ký không thuộc danh sách tin cậy của hệ thống."), 400)
    letter.pdf, letter.pdf_signer, letter.pdf_uploaded_at = data, check.signer, now()
    letter.pdf_sha256 = hashlib.sha256(data).hexdigest()
    db.session.flush()
    audit.record("request.letter_signed_copy", actor=actor, obj_type="request", obj_id=letter.request_id,
                 unit_id=letter.unit_id, after={"letter_id": letter.id, "number": letter.number_and_symbol,
                                                "signer": check.signer, "sha256": hashlib.sha256(data).hexdigest()})
    return check


def signature_of(letter: Letter) -> pdf.Verification:
    """Check the signature of a letter's stored PDF against this server's trust roots."""
    return pdf.verify_pdf(letter.pdf or b"")


# --------------------------------------------------------------------------- reading the register


# A request has one answer, one refusal, one acceptance and one conclusion in force: a second letter of
# these kinds replaces the first, or is issued as an addition on purpose. A page sent again from the
# browser's history (a new page, with a new single-use key) would otherwise take a second number unseen.
ONE_IN_FORCE = frozenset({LetterKind.REPLY, LetterKind.REFUSAL, LetterKind.ACCEPTANCE, LetterKind.CONCLUSION})


def letter_in_force(kind: LetterKind, letters: list[Letter]) -> Letter | None:
    """Return, of a request's letters, the one of this kind that no other replaced (kinds held one at a time)."""
    if kind not in ONE_IN_FORCE:
        return None
    replaced = {x.replaces_id for x in letters if x.replaces_id is not None}
    return next((x for x in letters if x.kind == kind.value and x.id not in replaced), None)


def check_in_force(req: PressRequest, kind: LetterKind, replaces: Letter | None, *, also_issue: bool) -> None:
    """Refuse (409) a second letter of a kind held one at a time, unless it replaces one or is meant as an addition."""
    in_force = letter_in_force(kind, letters_of_request(req))
    if in_force is not None and replaces is None and not also_issue:
        raise DomainError(_("Yêu cầu đã có văn bản số %(number)s cùng loại đang có hiệu lực. Chọn văn bản đó ở ô "
                            "“Thay thế văn bản”, hoặc đánh dấu “Ban hành thêm” nếu cần thêm một văn bản.",
                            number=in_force.number_and_symbol), 409)


def letters_of_request(req: PressRequest) -> list[Letter]:
    """Return the request's letters, newest first."""
    return list(db.session.execute(
        select(Letter).where(Letter.request_id == req.id).order_by(Letter.id.desc())).scalars())


def register_query(unit: Unit, *, year: int | None = None, q: str | None = None, kind: str | None = None) -> Select:
    """Return the register of a unit as a query, in the order of its numbers (newest first)."""
    stmt = (select(Letter).where(Letter.unit_id == unit.id)
            .options(joinedload(Letter.request)).order_by(Letter.year.desc(), Letter.number.desc()))
    if year is not None:
        stmt = stmt.where(Letter.year == year)
    if kind:
        stmt = stmt.where(Letter.kind == kind)
    if q:
        term = f"%{q.strip()}%"
        matches: list[ColumnElement[bool]] = [Letter.summary.ilike(term), Letter.recipient.ilike(term), Letter.signer_name.ilike(term),
                   PressRequest.reference.ilike(term)]
        number = _NUMBER.match(q)
        if number:  # "05", "5/UBND-VP": the number itself
            matches.append(Letter.number == int(number.group(1)))
        stmt = stmt.outerjoin(PressRequest, Letter.request_id == PressRequest.id).where(or_(*matches))
    return stmt


def register_years(unit: Unit) -> list[int]:
    """Return the years the unit's register has letters in, newest first."""
    return list(db.session.execute(select(Letter.year).where(Letter.unit_id == unit.id).distinct()
                                   .order_by(Letter.year.desc())).scalars())


# --------------------------------------------------------------------------- the sixth form: follow-up


def record_published(actor: User, letter: Letter, *, published_on: date, url: str | None) -> None:
    """Record that the press agency published what a sixth-form letter asked; audited on the request."""
    if not has_permission(actor, Permission.DRAFT_ANSWER, letter.unit):
        raise NotAllowed(_("Bạn không có quyền cập nhật văn bản của đơn vị %(name)s.", name=letter.unit.name))
    if letter.kind != LetterKind.CORRECTION.value:
        raise DomainError(_("Chỉ văn bản đề nghị đăng phản hồi, cải chính, xin lỗi mới theo dõi việc đăng."), 400)
    if letter.published_at is not None:
        raise DomainError(_("Đã ghi nhận cơ quan báo chí đăng nội dung này."), 409)
    if published_on < letter.issued_on or published_on > today_vn():
        raise DomainError(_("Ngày đăng phải từ ngày ban hành văn bản đến hôm nay."), 400)
    url = (url or "").strip() or None
    if url and not re.match(r"^https?://\S+$", url):
        raise DomainError(_("Địa chỉ bài đăng phải bắt đầu bằng http:// hoặc https://."), 400)
    letter.published_at = datetime.combine(published_on, time(12, 0), tzinfo=VN_TZ)
    letter.published_url = url[:500] if url else None
    db.session.flush()
    audit.record("request.letter_published", actor=actor, obj_type="request", obj_id=letter.request_id,
                 unit_id=letter.unit_id, after={"letter_id": letter.id, "number": letter.number_and_symbol,
                                                "published_on": published_on.isoformat(), "url": letter.published_url,
                                                "on_time": letter.publication_due_at is None
                                                or letter.published_at <= letter.publication_due_at})


def publication_overdue(moment: datetime) -> list[Letter]:
    """Return the sixth-form letters whose milestone has passed with nothing published (oldest first)."""
    return list(db.session.execute(
        select(Letter).where(Letter.kind == LetterKind.CORRECTION.value, Letter.published_at.is_(None),
                             Letter.publication_due_at.is_not(None), Letter.publication_due_at < moment)
        .order_by(Letter.publication_due_at)).scalars())


def remind_publication_overdue(moment: datetime) -> int:
    """Notify a unit's heads and the letter's issuer, once, when a press agency has not published in time."""

    sent = 0
    for letter in publication_overdue(moment):
        if letter.publication_due_at is None:  # the query asked for letters with a milestone
            continue
        sent += notify_heads_once(
            letter.unit_id, letter.issued_by_id, f"letter:{letter.id}:publication_overdue",
            request_id=letter.request_id, kind="publication_overdue",
            message=_("Cơ quan báo chí chưa đăng nội dung đề nghị tại văn bản số %(n)s (mốc theo dõi "
                      "%(due)s). Cần đôn đốc.", n=letter.number_and_symbol,
                      due=letter.publication_due_at.astimezone(VN_TZ).strftime("%d/%m/%Y")),
            link=f"/staff/letters/request/{letter.request_id}" if letter.request_id else None)
    db.session.flush()
    return sent


# --------------------------------------------------------------------------- designation letters


def designation_facts(designation: Designation) -> wording.DesignationFacts:
    """Return what the designation letters say, from the designation as recorded."""

    case = db.session.get(Req, designation.case_request_id) if designation.case_request_id else None
    number = designation.document_number.strip() if designation.document_number else ""
    decision = f"{number} ngày {designation.document_date:%d/%m/%Y}" if number else None
    return wording.DesignationFacts(
        kind=designation.kind, person_name=designation.user.name, title=designation.title,
        phone=designation.public_phone, email=designation.public_email, valid_from=designation.valid_from,
        valid_to=designation.valid_to, topic=designation.topic, case_reference=case.reference if case else None,
        decision=decision, law_2016=designation.valid_from < LAW_2025_FROM)


LAW_2025_FROM = date(2026, 7, 1)


def designation_letter_kinds(designation: Designation) -> list[LetterKind]:
    """Return the letters a designation can have now (nothing for a revoked one)."""
    if designation.revoked_at is not None:
        return []
    return wording.designation_kinds(designation.kind)


def default_designation_choices(designation: Designation, kind: LetterKind, signer: User) -> LetterChoices:
    """Return the choices a designation letter starts from."""
    parts = wording.designation_text(kind, designation_facts(designation), designation.unit.name,
                                     wording.position_from_title(signer.title))
    copies = {LetterKind.DESIGNATION: ["Như Điều 3", "Lưu: VT"],
              LetterKind.AUTHORISATION: [f"Đồng chí {designation.user.name}", "Lưu: VT"],
              LetterKind.ANNOUNCEMENT: ["Các cơ quan báo chí", "Trang thông tin điện tử của đơn vị", "Lưu: VT"]}[kind]
    return LetterChoices(kind=kind, signer=signer, position=wording.position_from_title(signer.title),
                         summary=parts["summary"], recipient="", copies_to=copies)


def compose_designation(designation: Designation, choices: LetterChoices, *, issued_on: date,
                        draft: bool = False) -> LetterText:
    """Return the full text of a designation letter (decision, notice, or authorisation)."""
    if choices.kind not in designation_letter_kinds(designation):
        raise DomainError(_("Chỉ định này không có loại văn bản đó (ví dụ: chỉ định đã bị thu hồi)."), 409)
    unit = designation.unit
    heading = heading_for(unit)
    position = wording.upper(choices.position.strip())
    parts = wording.designation_text(choices.kind, designation_facts(designation), unit.name, position)
    authority = wording.authority(unit.name, position)
    if choices.kind is LetterKind.DESIGNATION:  # the head decides in person: no "TM."
        authority = [line for line in authority if not line.startswith("TM.")]
    return LetterText(
        parent_body=heading.parent_body, issuing_body=heading.issuing_body, number_and_symbol=None,
        summary=choices.summary, place_name=heading.place_name, issued_on=issued_on, recipient="",
        paragraphs=list(parts["paragraphs"]), copies_to=choices.copies_to,
        signer_authority=authority, signer_position=position, signer_name=choices.signer.name, draft=draft,
        doc_type=parts["doc_type"], preamble=list(parts["preamble"]),
        grounds=list(parts["grounds"]), decides=parts["decides"],
    )


def issue_for_designation(actor: User, designation: Designation, choices: LetterChoices, *,
                          replaces: Letter | None = None) -> Letter:
    """Issue a designation letter through the register; a decision or authorisation numbers the designation.

    The designation's document number and date become the letter's ("05/QĐ-UBND", today), so
    the public directory cites the document the register holds; audited on the designation.
    """
    unit = designation.unit
    if not can_issue(actor, unit):
        raise NotAllowed(_("Chỉ người đứng đầu %(name)s ban hành văn bản của đơn vị.", name=unit.name))
    if not any(u.id == choices.signer.id for u in signers_for(unit)) or not can_issue(choices.signer, unit):
        raise DomainError(_("Văn bản giao nhiệm vụ, ủy quyền phát ngôn do người đứng đầu đơn vị ký."), 400)
    if replaces is not None and replaces.designation_id != designation.id:
        raise DomainError(_("Văn bản được thay thế không thuộc chỉ định này."), 400)
    issued_on = today_vn()
    text = compose_designation(designation, choices, issued_on=issued_on)
    letter = enter_in_register(actor, unit, choices.kind, text, choices, heading_for(unit), replaces=replaces,
                               designation_id=designation.id)
    before = {"document_number": designation.document_number, "document_date": designation.document_date}
    if choices.kind in (LetterKind.DESIGNATION, LetterKind.AUTHORISATION):
        designation.document_number, designation.document_date = letter.number_and_symbol, issued_on
        db.session.flush()
    audit.record("designation.letter_issued", actor=actor, obj_type="designation", obj_id=designation.id,
                 unit_id=unit.id, before=before,
                 after={"letter_id": letter.id, "number": letter.number_and_symbol, "kind": letter.kind,
                        "issued_on": issued_on.isoformat(), "sha256": letter.docx_sha256,
                        "document_number": designation.document_number,
                        "replaces": replaces.number_and_symbol if replaces else None})
    log.info("letter %s issued for designation %s by user %s", letter.number_and_symbol, designation.id, actor.id)
    return letter


def preview_designation(designation: Designation, choices: LetterChoices) -> bytes:
    """Return an unnumbered draft of a designation letter as DOCX (nothing is entered in the register)."""
    return render_docx(compose_designation(designation, choices, issued_on=today_vn(), draft=True))


def letters_of_designation(designation: Designation) -> list[Letter]:
    """Return a designation's letters, newest first."""
    return list(db.session.execute(
        select(Letter).where(Letter.designation_id == designation.id).order_by(Letter.id.desc())).scalars())
