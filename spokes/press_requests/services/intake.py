"""Intake: logging a new request (staff or public form) and finding it again by token or reference."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in
from spokes.core import events
from spokes.core.clock import now
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.i18n import stored_in_vietnamese
from spokes.core.search import index_object
from spokes.deadlines import services as deadlines
from spokes.extensions import db
from spokes.press_requests.models import Journalist, PressRequest, RequestState, RequestType
from spokes.press_requests.receipt import event_problem, receipt_problem
from spokes.units.models import Unit
from spokes.press_requests.services.references import hash_token, new_token, next_reference
from spokes.press_requests.services.journalists import JournalistData, link_journalist, normalise_contact
from spokes.press_requests.services.assignment import _assign, current_speaker

log = logging.getLogger(__name__)


SEARCH_TYPE = "request"


def _reindex(req: PressRequest) -> None:
    contact = req.contact
    index_object(
        SEARCH_TYPE,
        req.id,
        [req.reference, req.subject, req.questions, contact.name if contact else None,
         contact.agency if contact else None],
    )


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
    if problem is None and data.type == RequestType.EMERGENCY.value:
        problem = event_problem(data.event_at, received_at)
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
        # that is a compliance gap (ND 09 asks every unit to publish its speaker), said so.
        gap = designation is None
        with stored_in_vietnamese():
            reason = (_("Đơn vị chưa công bố người phát ngôn: giao tạm cho người đứng đầu đơn vị.") if gap
                      else _("Giao tự động cho người phát ngôn của đơn vị."))
        _assign(req, speaker, by=actor, reason=reason,
                designation=designation, automatic=True, compliance_gap=gap)
    log.info("request %s received for %s (due %s)", req.reference, unit.code, req.due_at.isoformat())
    events.request_received.send(req, token=token, actor=actor)
    return req, token


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
