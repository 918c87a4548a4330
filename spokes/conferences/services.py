"""Press conferences: plan one, issue its notice to the regulator through the register, record
when the notice left and any refusal. Services check, change, flush and audit; views commit once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission
from spokes.conferences import rules
from spokes.conferences.models import PressConference
from spokes.core.clock import VN_TZ, now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.text import fold
from spokes.extensions import db
from spokes.letters import services as letters
from spokes.letters import wording
from spokes.letters.layout import LetterText
from spokes.letters.models import Letter, LetterKind
from spokes.units.models import Unit, UnitKind
from spokes.deadlines.services import rulebook_on
from spokes.letters.layout import render_docx
from spokes.deadlines.services import load_rulebooks
from spokes.notifications.services import notify_heads_once

log = logging.getLogger(__name__)

LAW_2025_FROM = letters.LAW_2025_FROM
# The provincial department that manages the press since the 2025 restructuring (the information
# and communications departments were merged into it), and before it Sở Thông tin và Truyền thông.
_REGULATOR_NAMES = ("so van hoa, the thao va du lich", "so van hoa the thao va du lich", "so thong tin va truyen thong")


def can_plan(user: Any, unit: Unit) -> bool:
    """Tell whether a user may plan the unit's press conferences and record their notice (spokesperson, head)."""
    return has_permission(user, Permission.PUBLISH, unit)


def can_view(user: Any, unit: Unit) -> bool:
    """Tell whether a user may see the unit's press conferences."""
    return has_permission(user, Permission.VIEW_REQUESTS, unit)


def province_of(unit: Unit) -> Unit | None:
    """Return the province a unit lies in (itself when it is one)."""
    node: Unit | None = unit
    while node is not None and node.kind != UnitKind.PROVINCE.value:
        node = node.parent
    return node


def regulator_for(unit: Unit) -> tuple[Unit | None, str]:
    """Return the state press regulator of a unit's province and the name to address it by.

    Under the Law on Press 2016 Điều 41 khoản 3 a local body notifies the provincial People's
    Committee of the place of the conference, whose press department (since 2025 Sở Văn hóa,
    Thể thao và Du lịch) receives it. The unit tree marks no unit as regulator, so Spokes looks
    for that department under the province by name, and falls back to the province itself.
    """
    province = province_of(unit)
    if province is None:
        return None, "Sở Văn hóa, Thể thao và Du lịch"
    for child in province.children:
        if child.is_active and fold(child.name).startswith(_REGULATOR_NAMES):
            return child, child.name
    return province, province.name


@dataclass
class ConferenceData:
    """A press conference as typed by staff."""

    title: str
    content: str
    place: str
    starts_at: datetime
    chair_name: str
    chair_title: str
    invited_outlets: str
    regulator_name: str


def _check(data: ConferenceData, moment: datetime) -> ConferenceData:
    clean = ConferenceData(
        title=" ".join(data.title.split()), content=data.content.strip(), place=" ".join(data.place.split()),
        starts_at=data.starts_at, chair_name=" ".join(data.chair_name.split()),
        chair_title=" ".join(data.chair_title.split()), invited_outlets=data.invited_outlets.strip(),
        regulator_name=" ".join(data.regulator_name.split()))
    for value, message in ((clean.title, _("Vui lòng nhập nội dung họp báo.")),
                           (clean.place, _("Vui lòng nhập địa điểm họp báo.")),
                           (clean.chair_name, _("Vui lòng nhập người chủ trì họp báo.")),
                           (clean.chair_title, _("Vui lòng nhập chức vụ người chủ trì.")),
                           (clean.regulator_name, _("Vui lòng nhập cơ quan nhận thông báo."))):
        if not value:
            raise DomainError(message, 400)
    if clean.starts_at.tzinfo is None:
        raise DomainError(_("Thời điểm họp báo không hợp lệ."), 400)
    if clean.starts_at <= moment:
        raise DomainError(_("Thời điểm họp báo phải ở tương lai."), 400)
    return clean


def create(actor: User, unit: Unit, data: ConferenceData) -> PressConference:
    """Record a planned press conference of the unit; audited."""
    if not can_plan(actor, unit):
        raise NotAllowed(_("Bạn không có quyền tổ chức họp báo cho đơn vị %(name)s.", name=unit.name))
    if not unit.is_active:
        raise DomainError(_("Đơn vị đã ngừng hoạt động."), 409)
    clean = _check(data, now())
    regulator, regulator_name = regulator_for(unit)
    conference = PressConference(
        unit_id=unit.id, title=clean.title, content=clean.content, place=clean.place, starts_at=clean.starts_at,
        chair_name=clean.chair_name, chair_title=clean.chair_title, invited_outlets=clean.invited_outlets,
        regulator_name=clean.regulator_name or regulator_name,
        regulator_unit_id=regulator.id if regulator is not None and clean.regulator_name == regulator_name else None,
        created_by_id=actor.id)
    db.session.add(conference)
    db.session.flush()
    audit.record("conference.create", actor=actor, obj_type="conference", obj_id=conference.id, unit_id=unit.id,
                 after={"title": conference.title, "starts_at": conference.starts_at, "place": conference.place,
                        "chair": conference.chair_name, "regulator": conference.regulator_name})
    return conference


# --------------------------------------------------------------------------- what the law asks, and where it stands


def notice_hours(conference: PressConference, books: list[Any] | None = None) -> tuple[int, str | None, str | None]:
    """Return (hours, citation, rulebook name) of the notice rule in force on the conference's date.

    Pass the rulebooks when checking many conferences, so they are loaded once.
    """

    book = rulebook_on(conference.starts_at.astimezone(VN_TZ).date(), books)
    if book is None or not book.press_conference_notice_hours:
        return 24, None, None
    return book.press_conference_notice_hours, book.press_conference_notice_citation, book.name


def notice_letter(conference: PressConference) -> Letter | None:
    """Return the conference's notice in force: the newest one issued (a replacement supersedes)."""
    return db.session.execute(select(Letter).where(Letter.conference_id == conference.id)
                              .order_by(Letter.id.desc()).limit(1)).scalar_one_or_none()


@dataclass(frozen=True)
class Standing:
    """Where a conference's notice stands, for the staff page."""

    state: str  # drafted | issued | sent | refused
    hours: int
    citation: str | None
    rulebook: str | None
    check: rules.NoticeCheck
    refusal_in_time: bool | None


def standing(conference: PressConference, letter: Letter | None, moment: datetime | None = None,
             books: list[Any] | None = None) -> Standing:
    """Return the conference's notice state and timing."""
    moment = moment or now()
    hours, citation, book = notice_hours(conference, books)
    check = rules.notice_check(conference.starts_at, hours, conference.notice_sent_at, moment)
    if conference.refused_at is not None:
        state = "refused"
    elif conference.notice_sent_at is not None:
        state = "sent"
    elif letter is not None:
        state = "issued"
    else:
        state = "drafted"
    in_time = rules.refusal_in_time(conference.starts_at, conference.refused_at) if conference.refused_at else None
    return Standing(state, hours, citation, book, check, in_time)


def late_warning(conference: PressConference, st: Standing) -> str | None:
    """Return the staff warning when the notice left, or can only leave, later than the rule asks."""
    if not st.check.late:
        return None
    if st.check.sent_at is not None:
        return _("Thông báo gửi cơ quan quản lý nhà nước về báo chí chỉ trước giờ họp báo %(left)s, ít hơn %(hours)d "
                 "giờ theo quy định.", left=rules.duration_words(st.check.margin), hours=st.hours)
    return _("Đã quá thời điểm gửi thông báo (%(latest)s, %(hours)d giờ trước giờ họp báo) mà chưa ghi nhận gửi. "
             "Họp báo khi chưa thông báo đúng hạn có thể bị xử phạt.",
             latest=st.check.latest_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"), hours=st.hours)


# --------------------------------------------------------------------------- the notice letter


def facts_of(conference: PressConference) -> wording.ConferenceFacts:
    """Return what the notice states, from the conference as recorded."""
    return wording.ConferenceFacts(
        title=conference.title, content=conference.content, place=conference.place,
        starts_at_vn=conference.starts_at.astimezone(VN_TZ), chair_name=conference.chair_name,
        chair_title=conference.chair_title, outlets=conference.outlets, regulator_name=conference.regulator_name,
        law_2016=conference.starts_at.astimezone(VN_TZ).date() < LAW_2025_FROM)


def default_choices(conference: PressConference, signer: User) -> letters.LetterChoices:
    """Return the choices a notice starts from."""
    facts = facts_of(conference)
    return letters.LetterChoices(kind=LetterKind.CONFERENCE, signer=signer,
                                 position=wording.position_from_title(signer.title),
                                 summary=wording.conference_summary(facts), recipient=conference.regulator_name,
                                 copies_to=["Như trên", "Lưu: VT"])


def compose(conference: PressConference, choices: letters.LetterChoices, *, draft: bool = False) -> LetterText:
    """Return the full text of the notice."""
    unit = conference.unit
    heading = letters.heading_for(unit)
    position = wording.upper(choices.position.strip())
    return LetterText(
        parent_body=heading.parent_body, issuing_body=heading.issuing_body, number_and_symbol=None,
        summary=choices.summary, place_name=heading.place_name, issued_on=today_vn(), recipient=choices.recipient,
        paragraphs=wording.conference_paragraphs(facts_of(conference), unit.name), copies_to=choices.copies_to,
        signer_authority=wording.authority(unit.name, position), signer_position=position,
        signer_name=choices.signer.name, draft=draft)


def preview(conference: PressConference, choices: letters.LetterChoices) -> bytes:
    """Return an unnumbered draft of the notice as DOCX."""

    return render_docx(compose(conference, choices, draft=True))


def issue_notice(actor: User, conference: PressConference, choices: letters.LetterChoices) -> Letter:
    """Issue the notice through the unit's register (a new one replaces the previous); audited."""
    unit = conference.unit
    if not letters.can_issue(actor, unit):
        raise NotAllowed(_("Chỉ người đứng đầu %(name)s ban hành văn bản của đơn vị.", name=unit.name))
    if choices.signer.id not in {u.id for u in letters.signers_for(unit)}:
        raise DomainError(_("Người ký phải là người đứng đầu hoặc người phát ngôn của đơn vị."), 400)
    if conference.refused_at is not None:
        raise DomainError(_("Cơ quan quản lý đã không đồng ý việc họp báo này; không ban hành thêm thông báo."), 409)
    if conference.starts_at <= now():
        raise DomainError(_("Buổi họp báo đã diễn ra; không ban hành thông báo nữa."), 409)
    previous = notice_letter(conference)
    text = compose(conference, choices)
    letter = letters.enter_in_register(actor, unit, LetterKind.CONFERENCE, text, choices, letters.heading_for(unit),
                                       replaces=previous, conference_id=conference.id)
    audit.record("conference.notice_issued", actor=actor, obj_type="conference", obj_id=conference.id,
                 unit_id=unit.id, after={"letter_id": letter.id, "number": letter.number_and_symbol,
                                         "issued_on": letter.issued_on.isoformat(), "sha256": letter.docx_sha256,
                                         "replaces": previous.number_and_symbol if previous else None})
    log.info("press-conference notice %s issued for conference %s", letter.number_and_symbol, conference.id)
    return letter


def record_sent(actor: User, conference: PressConference, *, sent_at: datetime, via: str) -> Standing:
    """Record when the issued notice actually left for the regulator, and how; audited. Returns the standing."""
    if not can_plan(actor, conference.unit):
        raise NotAllowed(_("Bạn không có quyền cập nhật họp báo của đơn vị %(name)s.", name=conference.unit.name))
    letter = notice_letter(conference)
    if letter is None:
        raise DomainError(_("Chưa ban hành thông báo: lấy số và ban hành trước khi ghi nhận gửi."), 409)
    moment = now()
    if sent_at > moment:
        raise DomainError(_("Thời điểm gửi không thể ở tương lai."), 400)
    if sent_at.astimezone(VN_TZ).date() < letter.issued_on:
        raise DomainError(_("Thời điểm gửi không thể trước ngày ban hành thông báo."), 400)
    before = {"notice_sent_at": conference.notice_sent_at, "via": conference.notice_sent_via}
    conference.notice_sent_at, conference.notice_sent_via = sent_at, " ".join(via.split())[:120] or None
    conference.notice_sent_by_id = actor.id
    db.session.flush()
    st = standing(conference, letter, moment)
    audit.record("conference.notice_sent", actor=actor, obj_type="conference", obj_id=conference.id,
                 unit_id=conference.unit_id, before=before,
                 after={"notice_sent_at": sent_at, "via": conference.notice_sent_via, "letter": letter.number_and_symbol,
                        "late": st.check.late, "hours_required": st.hours})
    return st


def record_refusal(actor: User, conference: PressConference, *, refused_at: datetime, document: str,
                   reason: str) -> Standing:
    """Record the regulator's written refusal (its date and document); audited. Returns the standing."""
    if not can_plan(actor, conference.unit):
        raise NotAllowed(_("Bạn không có quyền cập nhật họp báo của đơn vị %(name)s.", name=conference.unit.name))
    if conference.refused_at is not None:
        raise DomainError(_("Đã ghi nhận văn bản không đồng ý của cơ quan quản lý."), 409)
    document, reason = " ".join(document.split()), reason.strip()
    if not document or len(document) > 120:
        raise DomainError(_("Vui lòng nhập số, ký hiệu văn bản không đồng ý (tối đa 120 ký tự)."), 400)
    if len(reason) > 2000:
        raise DomainError(_("Lý do tối đa 2000 ký tự."), 400)
    if refused_at > now():
        raise DomainError(_("Thời điểm nhận văn bản không thể ở tương lai."), 400)
    conference.refused_at, conference.refusal_document = refused_at, document
    conference.refusal_reason, conference.refusal_recorded_by_id = reason or None, actor.id
    db.session.flush()
    st = standing(conference, notice_letter(conference))
    audit.record("conference.refused", actor=actor, obj_type="conference", obj_id=conference.id,
                 unit_id=conference.unit_id, after={"refused_at": refused_at, "document": document, "reason": reason,
                                                    "at_least_12_hours_ahead": st.refusal_in_time})
    return st


# --------------------------------------------------------------------------- lists


def conferences_query(units: list[Unit], *, q: str | None = None) -> Select:
    """Return the conferences of the given units, the coming ones first, newest planned last."""
    stmt = (select(PressConference).where(PressConference.unit_id.in_([u.id for u in units]))
            .order_by(PressConference.starts_at.desc()))
    if q:
        stmt = stmt.where(PressConference.title.ilike(f"%{q.strip()}%"))
    return stmt


def letters_of(conference: PressConference) -> list[Letter]:
    """Return every notice issued for a conference, newest (the one in force) first."""
    return list(db.session.execute(select(Letter).where(Letter.conference_id == conference.id)
                                   .order_by(Letter.id.desc())).scalars())


def notices_of(conferences: list[PressConference]) -> dict[int, Letter]:
    """Return the notice in force of each conference, in one query."""
    ids = [c.id for c in conferences]
    if not ids:
        return {}
    found: dict[int, Letter] = {}
    for letter in db.session.execute(select(Letter).where(Letter.conference_id.in_(ids))
                                     .order_by(Letter.id)).scalars():
        found[letter.conference_id] = letter  # type: ignore[index]
    return found


def remind_late_notices(moment: datetime) -> int:
    """Notify the unit's heads and the conference's planner, once, when the last moment to send the notice
    has passed with no sending recorded (and the conference has not started nor been refused)."""

    pending = list(db.session.execute(select(PressConference).where(
        PressConference.notice_sent_at.is_(None), PressConference.refused_at.is_(None),
        PressConference.starts_at > moment)).scalars())
    if not pending:
        return 0
    books = load_rulebooks()
    sent = 0
    for conference in pending:
        hours, _citation, _book = notice_hours(conference, books)
        check = rules.notice_check(conference.starts_at, hours, None, moment)
        if not check.late:
            continue
        sent += notify_heads_once(
            conference.unit_id, conference.created_by_id, f"conference:{conference.id}:notice_late",
            kind="conference_notice_late", link=f"/staff/conferences/{conference.id}",
            message=_("Họp báo %(title)s lúc %(at)s: đã quá thời điểm gửi thông báo cho cơ quan quản lý nhà nước về "
                      "báo chí (%(hours)d giờ trước) mà chưa ghi nhận gửi.", title=conference.title,
                      at=conference.starts_at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M"), hours=hours))
    db.session.flush()
    return sent
