"""The rules of a press request's life: intake, assignment, drafting, approval, refusal, transfer.

Every change goes through ``transition()``, which checks the workflow table, the actor's
permissions in the request's unit and the guards. Services flush and audit; they never commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from spokes.audit import services as audit
from spokes.audit.models import AuditEvent
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import permissions_in
from spokes.core import events
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.i18n import stored_in_vietnamese
from spokes.core.search import index_object
from spokes.core.text import fold
from spokes.deadlines import services as deadlines
from spokes.deadlines.calendar import to_vn
from spokes.deadlines.engine import TimeUnit, compute_due
from spokes.deadlines.models import RefusalGround
from spokes.deadlines.rulebook import ExtensionNotAllowed, validate_extension
from spokes.extensions import db
from spokes.press_requests import workflow
from spokes.press_requests.actions import ACTION_WORDS
from spokes.press_requests.models import (
    Assignment,
    Extension,
    Journalist,
    Message,
    MessageKind,
    PressAgency,
    PressRequest,
    ReferenceCounter,
    RequestState,
    Transfer,
)
from spokes.press_requests.receipt import receipt_problem
from spokes.press_requests.workflow import Action
from spokes.responses.models import Answer, AnswerKind, AnswerStatus
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.policies import may_pass_on_speaking
from spokes.units.services import current_designation_filter

log = logging.getLogger(__name__)

SEARCH_TYPE = "request"


# --------------------------------------------------------------------------- helpers


def hash_token(token: str) -> str:
    """Return the stored form of a tracking token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return a fresh (token, hash) pair; only the hash is ever stored."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def next_reference(unit: Unit, received_at: datetime) -> str:
    """Return the next public reference for a unit and year, e.g. AM-DHU-2026-00042.

    The counter row is updated in place, which takes a row lock (or SQLite's write lock),
    so two servers never hand out the same number.
    """
    year = to_vn(received_at).year
    prefix = unit.reference_prefix
    bumped = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
    ).rowcount
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(ReferenceCounter(prefix=prefix, year=year, last_number=1))
        except Exception:  # noqa: BLE001 - another server created the row first; bump it instead
            db.session.execute(
                update(ReferenceCounter)
                .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
                .values(last_number=ReferenceCounter.last_number + 1)
            )
    number = db.session.execute(
        select(ReferenceCounter.last_number).where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
    ).scalar_one()
    return f"{prefix}-{year}-{number:05d}".upper()


def reference_floors() -> dict[tuple[str, int], int]:
    """Return the last number in use per (PREFIX, year): the counters' and the stored references' own."""
    floors: dict[tuple[str, int], int] = {}
    for prefix, year, number in db.session.execute(
            select(ReferenceCounter.prefix, ReferenceCounter.year, ReferenceCounter.last_number)):
        key = (prefix.upper(), year)
        floors[key] = max(floors.get(key, 0), number or 0)
    for (reference,) in db.session.execute(select(PressRequest.reference)):
        prefix, _sep, rest = reference.rpartition("-")
        prefix, _sep, year = prefix.rpartition("-")
        if prefix and year.isdigit() and rest.isdigit():
            key = (prefix.upper(), int(year))
            floors[key] = max(floors.get(key, 0), int(rest))
    return floors


def raise_reference_counters(floors: dict[tuple[str, int], int] | None = None) -> list[tuple[str, int, int, int]]:
    """Raise every reference counter past the highest number on file and past ``floors``; flush only.

    After a restore, the counters come back as they were at the backup, while references
    handed out since (in e-mails, on letters) must never be given again: ``floors`` holds the
    numbers in use just before the restore. Returns (prefix, year, old, new) per raised counter.
    """
    wanted = reference_floors()
    for key, number in (floors or {}).items():
        wanted[key] = max(wanted.get(key, 0), number)
    spelled = {p.upper(): p for p in db.session.execute(select(Unit.reference_prefix)).scalars() if p}
    counters = {(c.prefix.upper(), c.year): c for c in db.session.execute(select(ReferenceCounter)).scalars()}
    raised = []
    for (prefix, year), number in sorted(wanted.items()):
        counter = counters.get((prefix, year))
        if counter is None:
            counter = ReferenceCounter(prefix=spelled.get(prefix, prefix), year=year, last_number=0)
            db.session.add(counter)
        if (counter.last_number or 0) < number:
            raised.append((counter.prefix, year, counter.last_number or 0, number))
            counter.last_number = number
    db.session.flush()
    for prefix, year, old, new in raised:
        log.info("reference counter %s-%s raised from %s to %s", prefix, year, old, new)
    return raised


def get_or_create_agency(name: str | None) -> PressAgency | None:
    """Return the press agency with this name (ignoring case and accents), creating it if new."""
    if not name or not name.strip():
        return None
    key = fold(name)
    agency = db.session.execute(select(PressAgency).where(PressAgency.name_folded == key)).scalar_one_or_none()
    if agency is None:
        try:
            # A savepoint: another server may create the same agency at the same moment; the
            # unique name_folded then refuses ours, and we use theirs instead of failing.
            with db.session.begin_nested():
                agency = PressAgency(name=name.strip(), name_folded=key)
                db.session.add(agency)
        except IntegrityError:
            agency = db.session.execute(select(PressAgency).where(PressAgency.name_folded == key)).scalar_one()
    return agency


@dataclass
class JournalistData:
    """What we know of the journalist behind a request."""

    name: str
    agency: str | None = None
    email: str | None = None
    phone: str | None = None
    press_card_number: str | None = None
    press_card_expiry: date | None = None
    consent_publish_name: bool = False


def normalise_name(name: str | None) -> str:
    """Return a person's name as stored and matched: NFC, single spaces (an NFD name joins the NFC one)."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def normalise_contact(data: JournalistData) -> JournalistData:
    """Return the details with the name in NFC, the e-mail trimmed and lower-case, blanks as None."""
    def text(value: str | None) -> str | None:
        value = unicodedata.normalize("NFC", value).strip() if value else None
        return value or None

    return JournalistData(
        name=normalise_name(data.name), agency=text(data.agency), email=(text(data.email) or "").lower() or None,
        phone=text(data.phone), press_card_number=text(data.press_card_number),
        press_card_expiry=data.press_card_expiry, consent_publish_name=bool(data.consent_publish_name),
    )


def _journalist(email: str | None, name: str) -> Journalist | None:
    return db.session.execute(
        select(Journalist).where(Journalist.email == email, Journalist.name == name)
    ).scalar_one_or_none()


def link_journalist(data: JournalistData) -> Journalist:
    """Return the journalist record with this normalised e-mail and NFC name, creating it if new.

    An existing record is never changed here: whatever an anonymous form or an intake says
    about phone, agency, card or consent is stored on the request itself. Changing the
    details staff hold is ``update_journalist``, an explicit and audited staff action.
    """
    data = normalise_contact(data)
    journalist = _journalist(data.email, data.name) if data.email else None
    if journalist is not None:
        return journalist
    agency = get_or_create_agency(data.agency)
    try:
        # A savepoint, as for agencies: another server may insert the same journalist at the
        # same moment; the unique (e-mail, name) then refuses ours and we take theirs.
        with db.session.begin_nested():
            journalist = Journalist(name=data.name, email=data.email, agency_id=agency.id if agency else None,
                                    phone=data.phone, press_card_number=data.press_card_number,
                                    press_card_expiry=data.press_card_expiry)
            db.session.add(journalist)
    except IntegrityError:
        journalist = _journalist(data.email, data.name)
        if journalist is None:
            raise
    db.session.flush()
    return journalist


# Kept for callers written before issue 17; it no longer updates an existing record.
upsert_journalist = link_journalist


def update_journalist(actor: User, journalist: Journalist, data: JournalistData) -> Journalist:
    """Change the details staff hold on a journalist: an explicit staff action, audited before/after.

    The name and e-mail are the record's identity and stay as they are; requests keep the
    details given with them.
    """
    data = normalise_contact(data)
    fields = ("phone", "press_card_number", "press_card_expiry")
    before = {f: getattr(journalist, f) for f in fields}
    before["agency"] = journalist.agency.name if journalist.agency else None
    agency = get_or_create_agency(data.agency)
    journalist.agency_id = agency.id if agency else None
    journalist.agency = agency
    journalist.phone = data.phone
    journalist.press_card_number = data.press_card_number
    journalist.press_card_expiry = data.press_card_expiry
    db.session.flush()
    after = {f: getattr(journalist, f) for f in fields}
    after["agency"] = agency.name if agency else None
    audit.record("journalist.update", actor=actor, obj_type="journalist", obj_id=journalist.id,
                 before=before, after=after)
    log.info("journalist %s: details changed by user %s", journalist.id, actor.id)
    return journalist


def current_speaker(unit: Unit, on: date | None = None) -> tuple[User | None, Designation | None]:
    """Return who speaks for a unit today: the designated spokesperson, else the head.

    Falls back to a user holding the head role when no head designation is recorded, since the
    head speaks by law (ND 09 Điều 2).
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


def _public_person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"name": user.name, "title": user.title}


def _snapshot(req: PressRequest) -> dict[str, Any]:
    return {
        "state": req.state,
        "unit_id": req.unit_id,
        "assignee_id": req.assignee_id,
        "due_at": req.due_at,
    }


def _reindex(req: PressRequest) -> None:
    contact = req.contact
    index_object(
        SEARCH_TYPE,
        req.id,
        [req.reference, req.subject, req.questions, contact.name if contact else None,
         contact.agency if contact else None],
    )


# --------------------------------------------------------------------------- intake


@dataclass
class IntakeData:
    """A request as logged by staff or submitted on the public form."""

    type: str
    channel: str
    subject: str
    questions: str
    journalist: JournalistData | None
    article_url: str | None = None
    interview_wanted_at: datetime | None = None
    interview_place: str | None = None
    event_at: datetime | None = None
    received_at: datetime | None = None
    received_at_reason: str | None = None
    submission_key: str | None = None
    requested_type: str | None = None  # the journalist's choice when it is not the type logged
    extra: dict[str, Any] = field(default_factory=dict)


def intake(actor: User | None, unit: Unit, data: IntakeData) -> tuple[PressRequest, str]:
    """Log a new request, compute its deadline and hand it to the unit's spokesperson.

    ``actor`` is None for the public form. Returns the request and its tracking token
    (shown once; only its hash is stored).
    """
    if actor is not None and Permission.LOG_REQUEST not in permissions_in(actor, unit):
        raise NotAllowed(_("Bạn không có quyền tiếp nhận yêu cầu cho đơn vị này."))
    if not unit.is_active:
        raise DomainError(_("Đơn vị này đã ngừng hoạt động; vui lòng chọn đơn vị đang hoạt động."), status=400)
    moment = now()
    received_at = data.received_at or moment
    problem = receipt_problem(data.received_at, data.received_at_reason, moment)
    if problem is not None:
        raise DomainError(str(problem), status=400)
    # An emergency counts from the event itself (ND 09 Điều 6), not from when it was logged.
    clock_start = data.event_at if data.type == "emergency" and data.event_at else received_at
    try:
        deadline = deadlines.compute(data.type, clock_start, rulebook_for=received_at, unit=unit)
    except deadlines.DeadlineUnavailable as err:
        raise DomainError(_("Không có quy tắc thời hạn áp dụng cho ngày tiếp nhận này."), status=400) from err

    contact = normalise_contact(data.journalist) if data.journalist else None
    journalist = link_journalist(contact) if contact else None
    token, token_hash = new_token()
    req = PressRequest(
        reference=next_reference(unit, received_at),
        token_hash=token_hash,
        submission_key=data.submission_key,
        unit_id=unit.id,
        type=data.type,
        requested_type=data.requested_type,
        channel=data.channel,
        state=RequestState.RECEIVED.value,
        subject=data.subject.strip(),
        questions=data.questions.strip(),
        article_url=data.article_url or None,
        interview_wanted_at=data.interview_wanted_at,
        interview_place=data.interview_place or None,
        event_at=data.event_at,
        journalist_id=journalist.id if journalist else None,
        contact_name=contact.name if contact else None,
        contact_agency=contact.agency if contact else None,
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        contact_card_number=contact.press_card_number if contact else None,
        contact_card_expiry=contact.press_card_expiry if contact else None,
        consent_publish_name=bool(contact and contact.consent_publish_name),
        created_by_id=actor.id if actor else None,
        received_at=received_at,
        received_at_reason=(data.received_at_reason or "").strip() or None,
        clock_started_at=clock_start,
        due_at=deadline.result.due_at,
        rulebook_id=deadline.rulebook.id,
        rule_id=deadline.rule.id,
        deadline_explanation=deadline.explanation(),
    )
    req.unit = unit
    req.journalist = journalist
    db.session.add(req)
    db.session.flush()
    _reindex(req)
    audit.record(
        "request.received", actor=actor, obj_type="request", obj_id=req.id, unit_id=unit.id, public=True,
        actor_label=None if actor else "journalist",
        after={"reference": req.reference, "unit": unit.name, "type": req.type, "requested_type": req.requested_type,
               "channel": req.channel,
               "received_at": received_at, "due_at": req.due_at, "reason": req.received_at_reason},
    )
    speaker, designation = current_speaker(unit)
    if speaker is not None:
        # Only a unit that publishes no spokesperson at all falls back to a head by membership:
        # that is a compliance gap (ND 09 Điều 2 asks every unit to publish its speaker), said so.
        gap = designation is None
        with stored_in_vietnamese():
            reason = (_("Đơn vị chưa công bố người phát ngôn: giao tạm cho người đứng đầu đơn vị.") if gap
                      else _("Giao tự động cho người phát ngôn của đơn vị."))
        _assign(req, speaker, by=actor, reason=reason,
                designation=designation, automatic=True, compliance_gap=gap)
    log.info("request %s received for %s (due %s)", req.reference, unit.code, req.due_at.isoformat())
    events.request_received.send(req, token=token, actor=actor)
    return req, token


# --------------------------------------------------------------------------- one writer per request


class RequestChanged(DomainError):
    """Someone else changed the request since the actor's page was shown (HTTP 409).

    ``change`` is the latest audit event of the request: who changed it, how and when.
    """

    def __init__(self, message: str, request_id: int, change: Any | None) -> None:
        super().__init__(message, status=409)
        self.request_id = request_id
        self.change = change


def lock_request(request_id: int) -> PressRequest | None:
    """Take the request's row lock, then its answers', for the rest of the transaction; return it fresh.

    Every workflow action starts here, so two people acting on one request take turns: the
    second one waits, then sees the first one's committed change and is checked against it.
    The order is always the request row first, then its answers by id, so no two actions can
    deadlock on them. ``FOR NO KEY UPDATE`` (what an UPDATE takes anyway) still lets rows
    that merely point at the request, such as new attachments or notices, be inserted.
    On SQLite the write transaction of a POST starts with BEGIN IMMEDIATE (spokes/core/db.py):
    the whole database is locked from the first statement, which gives the same guarantee.
    """
    req = db.session.execute(
        select(PressRequest).where(PressRequest.id == request_id)
        .with_for_update(of=PressRequest, key_share=True)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if req is not None:
        db.session.execute(
            select(Answer.id).where(Answer.request_id == request_id).order_by(Answer.id)
            .with_for_update(key_share=True)
        ).all()
    return req


def last_change(req: PressRequest) -> Any | None:
    """Return the latest audit event of the request (who changed it last, how and when)."""

    return db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()


def check_version(req: PressRequest, seen: int | None) -> None:
    """Refuse an action taken on a page that showed an older version of the request.

    ``seen`` is None when the client sent no version (a script, an old page): the action is
    then judged on the state alone, which the lock has made current.
    """
    if seen is None or seen == req.version:
        return
    raise RequestChanged(
        _("Yêu cầu vừa được người khác thay đổi sau khi bạn mở trang; thao tác của bạn chưa được thực hiện."),
        req.id, last_change(req),
    )


# --------------------------------------------------------------------------- the one transition function


def _refusal_message(reason: str | None, action: Action, state: str) -> str:
    from spokes.press_requests.labels import state_label

    if reason == "permission":
        return _("Bạn không có quyền “%(action)s” đối với yêu cầu này.", action=action_label(action))
    if reason == "approval_required":
        return _("Đơn vị yêu cầu người đứng đầu duyệt trước khi gửi; hãy trình duyệt dự thảo.")
    return _(
        "Không thể “%(action)s” khi yêu cầu đang ở trạng thái “%(state)s”.",
        action=action_label(action), state=str(state_label(state)),
    )


def action_label(action: Action) -> str:
    """Return the words for a workflow action (spokes/press_requests/actions.py), in the reader's language."""
    return str(ACTION_WORDS[action])


def check_transition(actor: User | None, req: PressRequest, action: Action, *, journalist: bool = False) -> workflow.State:
    """Raise unless the actor may take the action on the request now; return the next state."""
    perms = permissions_in(actor, req.unit) if actor is not None else frozenset()
    decision = workflow.check(
        req.state, action, permissions=perms, approval_required=req.unit.approval_required,
        is_head=Permission.APPROVE in perms, actor_is_journalist=journalist,
    )
    if decision.allowed and decision.next_state is not None:
        return decision.next_state
    message = _refusal_message(decision.reason, action, req.state)
    if decision.reason == "permission":
        raise NotAllowed(message)
    raise DomainError(message, status=409)


def transition(
    actor: User | None,
    req: PressRequest,
    action: Action,
    *,
    journalist: bool = False,
    audit_after: dict[str, Any] | None = None,
    public: bool = False,
    checked: workflow.State | None = None,
    before: dict[str, Any] | None = None,
) -> None:
    """Apply one workflow action: check the table, rights and guards, change state, audit.

    ``checked`` and ``before`` come from a caller that ran ``check_transition()`` and took the
    snapshot before it had to change the request's unit (a transfer): the actor's rights are
    judged in the unit the request leaves, not the one it reaches.
    """
    target = checked or check_transition(actor, req, action, journalist=journalist)
    before = before or _snapshot(req)
    req.state = target.value
    req.version = (req.version or 0) + 1
    moment = now()
    if target is workflow.State.ANSWERED:
        req.answered_at = moment
    elif target is workflow.State.REFUSED:
        req.refused_at = moment
    elif target is workflow.State.WITHDRAWN:
        req.withdrawn_at = moment
    db.session.flush()
    audit.record(
        f"request.{action.value}", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        before=before, after={**_snapshot(req), **(audit_after or {})}, public=public,
        actor_label="journalist" if journalist else None,
    )


# --------------------------------------------------------------------------- assignment


def _assign(
    req: PressRequest, user: User, *, by: User | None, reason: str | None,
    designation: Designation | None = None, automatic: bool = False, compliance_gap: bool = False,
) -> None:
    """Hand the request to a user and keep the assignment history.

    ``compliance_gap`` marks an automatic fallback to a head because the unit publishes no
    spokesperson; the audit event carries it and the stored reason says so in the history.
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
    before = _snapshot(req)
    req.assignee_id = user.id
    req.assignee = user
    req.assigned_at = moment
    if req.id is not None and req.version is not None:
        req.version += 1
    if req.state == RequestState.RECEIVED.value:
        req.state = RequestState.ASSIGNED.value
    db.session.flush()
    audit.record(
        "request.assign", actor=by, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        before=before, public=True, actor_label=None if by else "system",
        after={**_snapshot(req), "assignee": _public_person(user), "reason": reason, "automatic": automatic,
               **({"compliance_gap": True} if compliance_gap else {})},
    )
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
    for req, designation in rows:
        req = lock_request(req.id)  # one writer per request, as for the staff's actions
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


# --------------------------------------------------------------------------- drafting and approval


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


# --------------------------------------------------------------------------- other actions


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
    if req.assignee_id is None:
        speaker, _designation = current_speaker(req.unit)
        if speaker is None:
            raise DomainError(_("Đơn vị chưa có người phát ngôn để giao lại yêu cầu."), status=409)
        req.assignee_id = speaker.id
    req.answered_at = None
    req.refused_at = None
    req.refusal_ground_id = None
    req.refusal_reason = None
    transition(actor, req, Action.REOPEN, public=True, audit_after={"reason": reason.strip()})


def add_message(actor: User | None, req: PressRequest, kind: MessageKind, body: str) -> Message:
    """Add an internal note, a message to the journalist, or the journalist's follow-up."""
    body = body.strip()
    if not body:
        raise DomainError(_("Nội dung tin nhắn không được để trống."), status=400)
    if kind is MessageKind.FROM_JOURNALIST:
        if actor is not None:
            raise NotAllowed(_("Chỉ phóng viên gửi được tin nhắn này."))
        if not req.is_open:
            raise DomainError(_("Yêu cầu đã kết thúc; không thể gửi thêm tin nhắn."), status=409)
    elif actor is None or Permission.VIEW_REQUESTS not in permissions_in(actor, req.unit) or \
            Permission.LOG_REQUEST not in permissions_in(actor, req.unit):
        raise NotAllowed(_("Bạn không có quyền ghi chú vào yêu cầu này."))
    message = Message(request_id=req.id, kind=kind.value, author_id=actor.id if actor else None, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record(
        f"message.{kind.value}", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        public=kind is not MessageKind.INTERNAL_NOTE, actor_label=None if actor else "journalist",
        after={"message_id": message.id, "kind": kind.value},
    )
    events.message_added.send(req, message=message, actor=actor)
    return message


def find_by_token(token: str) -> PressRequest | None:
    """Return the request opened by a tracking token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        select(PressRequest).where(PressRequest.token_hash == hash_token(token))
    ).scalar_one_or_none()


def renew_tracking_link(req: PressRequest) -> str:
    """Give the request a new secret tracking link, revoking the old one, and mail it to the journalist."""
    token, token_hash = new_token()
    req.token_hash = token_hash
    db.session.flush()
    audit.record("request.link_renewed", actor=None, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
                 actor_label="journalist")
    log.info("request %s: tracking link renewed on the journalist's demand", req.reference)
    events.tracking_link_renewed.send(req, token=token)
    return token


def find_by_reference_and_email(reference: str, email: str) -> PressRequest | None:
    """Return the request with this reference whose journalist has this e-mail, or None."""
    reference = (reference or "").strip().upper()
    email = (email or "").strip().lower()
    if not reference or not email:
        return None
    return db.session.execute(
        select(PressRequest)
        .join(Journalist, Journalist.id == PressRequest.journalist_id)
        .where(PressRequest.reference == reference, Journalist.email == email)
    ).scalar_one_or_none()


# --------------------------------------------------------------------------- who starts a clock (issue 15)


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


# --------------------------------------------------------------------------- the conclusion (ND 237 Điều 18(2))


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
