"""File fetched messages: new requests, follow-ups, robots, quarantine; confirm a mailed request's type.

Services check, change, flush and audit; they never commit (the fetch job in fetch.py and the
views do). Threading never trusts a subject's words: a message joins a request only through the
Message-IDs it answers (In-Reply-To/References of mails Spokes sent, or of the journalist's own
earlier mails on file) or the request's reference in brackets in the subject, sent from the
address the request was made with.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from spokes.audit import services as audit
from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in, scope_paths
from spokes.core.clock import now
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.i18n import stored_in_vietnamese
from spokes.core.uploads import UploadRejected
from spokes.deadlines import services as deadlines
from spokes.extensions import db
from spokes.mailin.config import unit_addresses
from spokes.mailin.models import InboundMail, InboundOutcome, Mailbox
from spokes.mailin.parsing import Malformed, ParsedMail, parse
from spokes.notifications.content import redact_tracking_links
from spokes.notifications.models import OutboxMail
from spokes.attachments import store as files
from spokes.press_requests import services as requests
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Channel, MessageKind, PressRequest, RequestType
from spokes.units.models import Unit

log = logging.getLogger(__name__)

PROVISIONAL_TYPE = RequestType.INFORMATION.value  # until a clerk confirms the type
# Types whose clock the press agency's written request starts (Law 2016 Điều 39; ND 237 Điều 18).
LETTER_TYPES = frozenset({RequestType.PRESS_ANSWER.value, RequestType.FORWARDED_FEEDBACK.value,
                          RequestType.FORWARDED_COMPLAINT.value})


def _cut(value: str | None, size: int = 255) -> str | None:
    return value[:size] if value else value


# --------------------------------------------------------------------------- mailboxes


def mailbox_for(unit: Unit) -> Mailbox:
    """Return the unit's mailbox progress row, creating it (once, even with several fetchers)."""
    box = db.session.execute(select(Mailbox).where(Mailbox.unit_id == unit.id)).scalar_one_or_none()
    if box is None:
        try:
            with db.session.begin_nested():
                box = Mailbox(unit_id=unit.id, last_uid=0, created_at=now())
                db.session.add(box)
        except IntegrityError:
            box = db.session.execute(select(Mailbox).where(Mailbox.unit_id == unit.id)).scalar_one()
    return box


def own_addresses() -> set[str]:
    """Return the addresses that are Spokes itself: every unit mailbox and the outbox sender."""
    from email.utils import parseaddr

    ours = set(unit_addresses().values())
    sender = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1].lower()
    if sender:
        ours.add(sender)
    return ours


# --------------------------------------------------------------------------- filing one message


def _received_reason() -> str:
    with stored_in_vietnamese():
        return _("Thời điểm thư điện tử đến hộp thư của đơn vị (theo máy chủ thư).")


def find_thread(parsed: ParsedMail) -> PressRequest | None:
    """Return the request a message answers, by its Message-ID headers or a bracketed reference; else None."""
    ids = parsed.thread_ids
    if ids:
        request_id = db.session.execute(
            select(OutboxMail.request_id).where(OutboxMail.message_id.in_(ids), OutboxMail.request_id.is_not(None))
            .order_by(OutboxMail.id.desc()).limit(1)
        ).scalar_one_or_none()
        if request_id is None:
            request_id = db.session.execute(
                select(InboundMail.request_id).where(InboundMail.message_id.in_(ids),
                                                     InboundMail.request_id.is_not(None))
                .order_by(InboundMail.id.desc()).limit(1)
            ).scalar_one_or_none()
        if request_id is not None:
            return db.session.get(PressRequest, request_id)
    reference = parsed.subject_reference()
    if reference:
        req = db.session.execute(select(PressRequest).where(PressRequest.reference == reference)).scalar_one_or_none()
        # The reference is public: it threads only mail from the address the request was made with.
        if req is not None and parsed.from_address in {(req.contact_email or "").lower(),
                                                       ((req.journalist.email if req.journalist else None) or "").lower()}:
            return req
    return None


def _store_files(parsed: ParsedMail, req: PressRequest, row: InboundMail, stored: list[Attachment]) -> None:
    """Store each attached file through the upload rules (size, sniffed type); note the refused ones."""
    limit = int(current_app.config.get("MAIL_IN_MAX_ATTACHMENT_BYTES") or current_app.config["STAFF_UPLOAD_MAX_BYTES"])
    skipped = []
    for item in parsed.files:
        try:
            stored.append(files.store(io.BytesIO(item.data), item.filename, max_bytes=limit,
                                      allowed=files.STAFF_KINDS, purpose="evidence", request_id=req.id))
        except UploadRejected as err:
            if err.code == "storage":
                raise
            skipped.append({"name": (item.filename or "")[:200], "reason": err.code})
    row.skipped_attachments = skipped


def _new_request(row: InboundMail, unit: Unit, parsed: ParsedMail, stored: list[Attachment]) -> None:
    with stored_in_vietnamese():
        untitled = _("(thư không có tiêu đề)")
        empty = _("(thư không có nội dung; xem tệp đính kèm)")
    subject = " ".join(parsed.subject.split()) or untitled
    data = requests.IntakeData(
        type=PROVISIONAL_TYPE, channel=Channel.EMAIL.value, subject=subject[:255],
        questions=redact_tracking_links(parsed.text) or empty,
        journalist=requests.JournalistData(name=(parsed.from_name or parsed.from_address)[:255],
                                           email=parsed.from_address),
        received_at=row.received_at, received_at_reason=_received_reason(),
    )
    req, _token = requests.intake(None, unit, data)  # the receipt with the tracking link is queued there
    row.outcome = InboundOutcome.NEW_REQUEST.value
    row.request_id = req.id
    _store_files(parsed, req, row, stored)


def _follow_up(row: InboundMail, req: PressRequest, parsed: ParsedMail, stored: list[Attachment]) -> None:
    row.request_id = req.id
    if not req.is_open:
        row.outcome = InboundOutcome.CLOSED_REQUEST.value
        row.reason = "request closed"
        return
    with stored_in_vietnamese():
        body = redact_tracking_links(parsed.text) or _("(thư không có nội dung; xem tệp đính kèm)")
        contact = (req.contact_email or "").lower()
        if contact and parsed.from_address != contact:
            body = _("Thư từ %(address)s:", address=parsed.from_address) + "\n\n" + body
    message = requests.add_message(None, req, MessageKind.FROM_JOURNALIST, body)  # notifies the assignee
    row.outcome = InboundOutcome.FOLLOW_UP.value
    row.press_message_id = message.id
    _store_files(parsed, req, row, stored)


def _quarantine(row: InboundMail, raw: bytes | None, reason: str) -> None:
    row.outcome = InboundOutcome.QUARANTINED.value
    row.reason = reason[:2000]
    row.raw = raw
    db.session.flush()
    audit.record("mail.quarantined", actor=None, obj_type="inbound_mail", obj_id=row.id, unit_id=row.unit_id,
                 actor_label="system", after={"uid": row.uid, "reason": row.reason})
    log.warning("mailbox of unit %s: message uid %s quarantined: %s", row.unit_id, row.uid, reason)


def file_message(box: Mailbox, unit: Unit, *, uidvalidity: int, uid: int, received_at: datetime, size: int,
                 raw: bytes | None, too_large: bool = False) -> InboundMail:
    """File one fetched message and return its row; flush only.

    The row (unique per mailbox, UIDVALIDITY and UID) is inserted first, so a second fetcher of
    the same message fails here (IntegrityError), before it makes anything.
    """
    moment = now()
    row = InboundMail(mailbox_id=box.id, unit_id=unit.id, uidvalidity=uidvalidity, uid=uid,
                      received_at=min(received_at, moment), size_bytes=size,
                      outcome=InboundOutcome.QUARANTINED.value, skipped_attachments=[], created_at=moment)
    db.session.add(row)
    db.session.flush()
    if too_large or raw is None:
        _quarantine(row, raw, f"message larger than the limit ({size} bytes); left in the mailbox")
        return row
    try:
        parsed = parse(raw)
    except Malformed as err:
        _quarantine(row, raw, f"malformed: {err}")
        return row
    row.message_id = _cut(parsed.message_id)
    row.from_address = _cut(parsed.from_address)
    row.from_name = _cut(parsed.from_name)
    row.subject = _cut(" ".join(parsed.subject.split()))
    if parsed.from_address in own_addresses() or (parsed.message_id and db.session.execute(
            select(OutboxMail.id).where(OutboxMail.message_id == parsed.message_id).limit(1)).first()):
        row.outcome, row.reason = InboundOutcome.OWN.value, "sent by Spokes or the unit itself"
    elif parsed.automatic:
        row.outcome, row.reason = InboundOutcome.AUTOMATIC.value, parsed.automatic
    elif parsed.message_id and db.session.execute(
            select(InboundMail.id).where(InboundMail.message_id == row.message_id, InboundMail.unit_id == unit.id,
                                         InboundMail.id != row.id,
                                         InboundMail.outcome.in_([InboundOutcome.NEW_REQUEST.value,
                                                                  InboundOutcome.FOLLOW_UP.value])).limit(1)).first():
        row.outcome, row.reason = InboundOutcome.DUPLICATE.value, "Message-ID already filed"
    else:
        stored: list[Attachment] = []
        try:
            with db.session.begin_nested():
                req = find_thread(parsed)
                if req is not None:
                    _follow_up(row, req, parsed, stored)
                else:
                    _new_request(row, unit, parsed, stored)
                db.session.flush()
        except (DomainError, UploadRejected) as err:
            files.remove_files(stored)
            row.request_id = row.press_message_id = None
            _quarantine(row, raw, f"not filed: {getattr(err, 'message', None) or err}")
            return row
    db.session.flush()
    log.info("mailbox of unit %s: uid %s filed as %s (request %s)", unit.id, uid, row.outcome, row.request_id)
    return row


# --------------------------------------------------------------------------- outgoing mail in the conversation


def thread_headers(request_id: int, mail_id: int) -> tuple[str | None, list[str], str | None]:
    """Return (In-Reply-To, References, Reply-To) for an outbox mail about a request.

    The conversation is the journalist's mails on file and the mails Spokes sent before this
    one, in time order; Reply-To is the request's unit's mailbox, when it has one.
    """
    return thread_headers_for([(request_id, mail_id)])[mail_id]


def thread_headers_for(mails: list[tuple[int, int]]) -> dict[int, tuple[str | None, list[str], str | None]]:
    """Return ``thread_headers`` for many (request id, outbox mail id) pairs, by mail id, in three queries.

    The sender asks once a batch: three queries a mail were most of the cost of building a
    journalist's message.
    """
    if not mails:
        return {}
    request_ids = sorted({request_id for request_id, _mail_id in mails})
    # Keyed as the columns are typed (nullable); the IN above leaves only these requests' ids.
    inbound: dict[int | None, list[tuple[datetime, str | None]]] = {}
    for request_id, created_at, message_id in db.session.execute(
        select(InboundMail.request_id, InboundMail.created_at, InboundMail.message_id)
        .where(InboundMail.request_id.in_(request_ids), InboundMail.message_id.is_not(None),
               InboundMail.outcome.in_([InboundOutcome.NEW_REQUEST.value, InboundOutcome.FOLLOW_UP.value]))
        .order_by(InboundMail.id)
    ):
        inbound.setdefault(request_id, []).append((created_at, message_id))
    # Every earlier mail of these requests (a request has tens at most); each mail keeps the ten before it.
    outbound: dict[int | None, list[tuple[int, datetime, str]]] = {}
    for request_id, mail_id, created_at, message_id in db.session.execute(
        select(OutboxMail.request_id, OutboxMail.id, OutboxMail.created_at, OutboxMail.message_id)
        .where(OutboxMail.request_id.in_(request_ids), OutboxMail.id < max(m for _r, m in mails))
        .order_by(OutboxMail.id)
    ):
        outbound.setdefault(request_id, []).append((mail_id, created_at, message_id))
    codes = dict(db.session.execute(
        select(PressRequest.id, Unit.code).join(Unit, PressRequest.unit_id == Unit.id)
        .where(PressRequest.id.in_(request_ids))
    ).all())
    addresses = unit_addresses()
    headers = {}
    for request_id, mail_id in mails:
        received = inbound.get(request_id, [])
        before = [(at, mid) for oid, at, mid in reversed(outbound.get(request_id, [])) if oid < mail_id][:10]
        chain: list[str] = [mid for _at, mid in sorted([*received, *before], key=lambda r: r[0]) if mid]
        references = list(dict.fromkeys(chain[:1] + chain[-9:]))
        answered = [mid for _at, mid in received if mid]
        in_reply_to = answered[-1] if answered else (chain[-1] if chain else None)
        code = codes.get(request_id)
        headers[mail_id] = (in_reply_to, references, addresses.get(code) if code else None)
    return headers


# --------------------------------------------------------------------------- staff: lists and type confirmation


def _visible(user: Any) -> Any:
    ids, prefixes = scope_paths(user, Permission.VIEW_REQUESTS)
    return or_(InboundMail.unit_id.in_(ids or [-1]),
               *[InboundMail.unit_id.in_(select(Unit.id).where(Unit.path.startswith(p))) for p in prefixes])


OUTCOME_FILTERS = ("all", "to_confirm", *[o.value for o in InboundOutcome])


def inbound_query(user: Any, outcome: str = "all") -> Any:
    """Return the SELECT of the fetched messages the user may see, newest first, filtered by outcome."""
    stmt = select(InboundMail).where(_visible(user)).order_by(InboundMail.id.desc())
    if outcome == "to_confirm":
        stmt = stmt.where(InboundMail.outcome == InboundOutcome.NEW_REQUEST.value,
                          InboundMail.type_confirmed_at.is_(None))
    elif outcome in InboundOutcome._value2member_map_:
        stmt = stmt.where(InboundMail.outcome == outcome)
    return stmt


def counts(user: Any) -> dict[str, int]:
    """Return how many quarantined messages and requests awaiting type confirmation the user can see."""
    rows = db.session.execute(
        select(InboundMail.outcome, InboundMail.type_confirmed_at.is_(None), func.count())
        .where(_visible(user)).group_by(InboundMail.outcome, InboundMail.type_confirmed_at.is_(None))
    ).all()
    result = {"quarantined": 0, "to_confirm": 0}
    for outcome, unconfirmed, count in rows:
        if outcome == InboundOutcome.QUARANTINED.value:
            result["quarantined"] += count
        elif outcome == InboundOutcome.NEW_REQUEST.value and unconfirmed:
            result["to_confirm"] += count
    return result


def visible_message(user: Any, message_id: int) -> InboundMail | None:
    """Return a fetched message the user may see, or None (another unit's message is never returned)."""
    return db.session.execute(inbound_query(user).where(InboundMail.id == message_id)).scalar_one_or_none()


def request_attachments(row: InboundMail) -> list[Attachment]:
    """Return the files stored on the message's request (for choosing the written request)."""
    if row.request_id is None:
        return []
    return list(db.session.execute(
        select(Attachment).where(Attachment.request_id == row.request_id).order_by(Attachment.id)).scalars())


@dataclass
class TypeChoice:
    """A clerk's confirmation of a mailed request's type."""

    type: str
    letter_attachment_id: int | None = None


def awaiting_type_confirmation(request_id: int) -> int | None:
    """Return the id of the mail that made this request while its type still awaits a clerk, else None.

    A request filed from an e-mail is logged as "information" until a clerk confirms its type
    (and the press agency's letter where the type needs one); the request page says so.
    """
    return db.session.execute(
        select(InboundMail.id).where(InboundMail.request_id == request_id,
                                     InboundMail.outcome == InboundOutcome.NEW_REQUEST.value,
                                     InboundMail.type_confirmed_at.is_(None)).limit(1)
    ).scalar_one_or_none()


def can_confirm_type(user: Any, row: InboundMail) -> bool:
    """Return whether the user may confirm this message's request type (staff who log requests there)."""
    return (row.outcome == InboundOutcome.NEW_REQUEST.value and row.type_confirmed_at is None
            and row.request_id is not None and Permission.LOG_REQUEST in permissions_in(user, row.unit))


def confirm_type(actor: Any, row: InboundMail, choice: TypeChoice) -> PressRequest:
    """Fix the type of a request that came by e-mail and count its deadline from the message's arrival.

    The receipt time stays the message's (INTERNALDATE); the types whose clock the press
    agency's written request starts need that letter among the mail's files.
    """
    if Permission.LOG_REQUEST not in permissions_in(actor, row.unit):
        raise NotAllowed(_("Bạn không có quyền tiếp nhận yêu cầu cho đơn vị này."))
    if not can_confirm_type(actor, row):
        raise DomainError(_("Loại yêu cầu của thư này đã được xác nhận."), status=409)
    if choice.type not in RequestType._value2member_map_ or choice.type == RequestType.EMERGENCY.value:
        raise DomainError(_("Loại yêu cầu không hợp lệ cho thư điện tử."), status=400)
    req = requests.lock_request(row.request_id)  # type: ignore[arg-type]
    if req is None:
        raise DomainError(_("Không tìm thấy yêu cầu."), status=404)
    if not req.is_open:
        raise DomainError(_("Yêu cầu đã kết thúc; không thể đổi loại."), status=409)
    letter = None
    if choice.type in LETTER_TYPES:
        letter = db.session.execute(select(Attachment).where(
            Attachment.id == (choice.letter_attachment_id or -1), Attachment.request_id == req.id)).scalar_one_or_none()
        if letter is None:
            raise DomainError(_("Loại yêu cầu này cần văn bản đề nghị của cơ quan báo chí: hãy chọn tệp đính kèm "
                                "là văn bản đó."), status=400)
    try:
        deadline = deadlines.compute(choice.type, req.received_at, rulebook_for=req.received_at, unit=req.unit)
    except deadlines.DeadlineUnavailable as err:
        raise DomainError(_("Không có quy tắc thời hạn áp dụng cho ngày tiếp nhận này."), status=400) from err
    before = {"type": req.type, "due_at": req.due_at}
    req.type = choice.type
    req.clock_started_at = req.received_at
    req.due_at = deadline.result.due_at
    req.rulebook_id = deadline.rulebook.id
    req.rule_id = deadline.rule.id
    req.deadline_explanation = deadline.explanation()
    req.version = (req.version or 1) + 1
    if letter is not None:
        letter.purpose = "letter"
    row.type_confirmed_at = now()
    row.type_confirmed_by_id = actor.id
    db.session.flush()
    audit.record("mail.type_confirmed", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
                 before=before, after={"type": req.type, "due_at": req.due_at, "received_at": req.received_at,
                                       "letter_attachment_id": letter.id if letter else None})
    log.info("request %s: type %s confirmed by user %s (due %s)", req.reference, req.type, actor.id,
             req.due_at.isoformat())
    return req
