"""Press requests, journalists, press agencies, attachments and the request's history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db
from spokes.press_requests.workflow import State
from spokes.units.models import Unit

if TYPE_CHECKING:
    from spokes.auth.models import User
    from spokes.deadlines.models import RefusalGround, Rule, Rulebook


class RequestType(enum.StrEnum):
    """Fixed request type codes (DESIGN.md)."""

    INFORMATION = "information"
    INTERVIEW = "interview"
    PRESS_ANSWER = "press_answer"
    FORWARDED_FEEDBACK = "forwarded_feedback"
    FORWARDED_COMPLAINT = "forwarded_complaint"  # khiếu nại (Luật Khiếu nại 2011)
    FORWARDED_DENUNCIATION = "forwarded_denunciation"  # tố cáo (Luật Tố cáo 2018)
    EMERGENCY = "emergency"


# The types whose clock, in law, starts only from the press agency: a written request of its
# head (press_answer) or an item it forwards (issue 15, item 6). A web-form question of one of
# these types without that document is logged as ``information``.
AGENCY_STARTED_TYPES = frozenset({
    RequestType.PRESS_ANSWER, RequestType.FORWARDED_FEEDBACK, RequestType.FORWARDED_COMPLAINT,
    RequestType.FORWARDED_DENUNCIATION,
})
# The types whose resolution ends in a conclusion that goes to the press agency (ND 237 Điều 18(2)).
CONCLUSION_TYPES = frozenset({RequestType.FORWARDED_COMPLAINT, RequestType.FORWARDED_DENUNCIATION})


class Channel(enum.StrEnum):
    """How a request reached the unit."""

    WEB_FORM = "web_form"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"
    LETTER = "letter"
    PRESS_ARTICLE = "press_article"
    PRESS_CONFERENCE = "press_conference"


# A request stores the workflow's own states (``workflow.State``); overdue and due-soon are
# computed, never stored.
RequestState = State


OPEN_STATES = (
    RequestState.RECEIVED,
    RequestState.ASSIGNED,
    RequestState.DRAFTING,
    RequestState.AWAITING_APPROVAL,
)


OPEN_STATES_SQL = "state IN ('received', 'assigned', 'drafting', 'awaiting_approval')"


class PressAgency(db.Model):
    """A press agency (cơ quan báo chí)."""

    __tablename__ = "press_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Journalist(db.Model):
    """A reporter. Contact details and card number are private and never published."""

    __tablename__ = "journalists"
    # One row per (e-mail, name): two servers taking the same journalist's first question at
    # once must not make two. Rows without an e-mail are never matched, so never merged.
    __table_args__ = (Index("uq_journalists_email_name", "email", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("press_agencies.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    press_card_number: Mapped[str | None] = mapped_column(String(40))
    press_card_expiry: Mapped[date | None] = mapped_column(Date)
    consent_publish_name: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    agency: Mapped[PressAgency | None] = relationship(lazy="joined")


class PressRequest(db.Model):
    """A press request and its legal deadline."""

    __tablename__ = "press_requests"
    __table_args__ = (
        enum_check("type", RequestType),
        enum_check("channel", Channel),
        enum_check("state", RequestState),
        # States are tied to the timestamps and facts that define them.
        CheckConstraint(
            "state NOT IN ('assigned', 'drafting', 'awaiting_approval') OR assignee_id IS NOT NULL",
            name="assigned_states_have_assignee",
        ),
        CheckConstraint("state <> 'answered' OR answered_at IS NOT NULL", name="answered_has_time"),
        CheckConstraint(
            "state <> 'refused' OR (refused_at IS NOT NULL AND refusal_ground_id IS NOT NULL AND refusal_reason IS NOT NULL)",
            name="refused_has_ground",
        ),
        CheckConstraint("state <> 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_has_time"),
        CheckConstraint("due_at >= received_at", name="due_after_receipt"),
        Index("ix_press_requests_unit_state_due", "unit_id", "state", "due_at"),
        Index("ix_press_requests_assignee_state_due", "assignee_id", "state", "due_at"),
        Index("ix_press_requests_state_due", "state", "due_at"),
        Index("ix_press_requests_received", "received_at"),
        Index("ix_press_requests_conclusion_due", "conclusion_due_at"),
        # The queue's default order over open requests: sorted and limited on the index itself.
        Index("ix_press_requests_open_due", "due_at", "id",
              postgresql_where=text(OPEN_STATES_SQL), sqlite_where=text(OPEN_STATES_SQL)),
        # Every state in due order (the queue's "Tất cả" and "Đã đóng" lists, their deep pages):
        # read in order and stopped after the page, instead of sorting every request.
        Index("ix_press_requests_due", "due_at", "id"),
        # The reports count the overdue requests of their units received in a period, live: read
        # on this index alone (no table rows), their cost follows those units' open requests.
        Index("ix_press_requests_open_unit_due", "unit_id", "due_at", "received_at",
              postgresql_where=text(OPEN_STATES_SQL), sqlite_where=text(OPEN_STATES_SQL)),
        # The periodic job reads only what is due: open requests by their next alert moment.
        Index("ix_press_requests_next_alert", "next_alert_at", "id",
              postgresql_where=text("next_alert_at IS NOT NULL"), sqlite_where=text("next_alert_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Identifies one submission of the public form, so a double submit returns the same request.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=RequestState.RECEIVED.value)
    subject: Mapped[str] = mapped_column(String(255))
    questions: Mapped[str] = mapped_column(Text)
    article_url: Mapped[str | None] = mapped_column(String(1000))
    interview_wanted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interview_place: Mapped[str | None] = mapped_column(String(255))
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # emergency: time of the event
    journalist_id: Mapped[int | None] = mapped_column(ForeignKey("journalists.id"), index=True)
    # The contact details given with this request belong to it (issue 17): a later submission
    # under the same name and e-mail never changes them, and consent to publish the name is
    # given per request.
    contact_name: Mapped[str | None] = mapped_column(String(255))
    contact_agency: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(255))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_card_number: Mapped[str | None] = mapped_column(String(40))
    contact_card_expiry: Mapped[date | None] = mapped_column(Date)
    consent_publish_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at_reason: Mapped[str | None] = mapped_column(Text)  # why receipt is earlier than logging
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime())  # receipt, or the transfer
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rulebook_id: Mapped[int] = mapped_column(ForeignKey("rulebooks.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"))
    deadline_explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extended_amount: Mapped[int] = mapped_column(Integer, default=0)
    # The type the journalist chose on the public form when it differs from ``type`` (a
    # press_answer or forwarded item without the press agency's document is logged as information).
    requested_type: Mapped[str | None] = mapped_column(String(32))
    # The conclusion of a forwarded complaint or denunciation, and the milestone of sending it
    # to the press agency (ND 237 Điều 18(2)): conclusion_at is the date the conclusion was issued.
    conclusion_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conclusion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conclusion_document: Mapped[str | None] = mapped_column(String(120))
    conclusion_summary: Mapped[str | None] = mapped_column(Text)
    conclusion_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refusal_ground_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_grounds.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # Counts the workflow changes (transitions and assignments). An action form carries the
    # version its page showed, so two people acting on the same page: the second one is told
    # the request changed under them instead of acting on what they did not see.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    # When the periodic job next has something to do for this request (a reminder, the overdue
    # notice, an escalation); None once closed or when nothing is left. A change of due date,
    # state or rule sets it to "now" (see below) and the job then computes the exact moment
    # (spokes/notifications/services.py ``next_alert_moment``), so a tick reads only what is due.
    next_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    journalist: Mapped[Journalist | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    rulebook: Mapped[Rulebook] = relationship()
    rule: Mapped[Rule] = relationship()
    refusal_ground: Mapped[RefusalGround | None] = relationship()
    transferred_from: Mapped[Unit | None] = relationship(foreign_keys=[transferred_from_id])

    @property
    def is_open(self) -> bool:
        """Return whether the request still waits for an answer or a refusal."""
        return self.state in {s.value for s in OPEN_STATES}

    @property
    def contact(self) -> Contact | None:
        """Return the journalist's details as given with this request (older rows: the journalist's)."""
        if self.contact_name is not None:
            return Contact(self.contact_name, self.contact_agency, self.contact_email, self.contact_phone,
                           self.contact_card_number, self.contact_card_expiry, bool(self.consent_publish_name))
        j = self.journalist
        if j is None:
            return None
        return Contact(j.name, j.agency.name if j.agency else None, j.email, j.phone, j.press_card_number,
                       j.press_card_expiry, bool(self.consent_publish_name))


ALERT_INPUTS = ("due_at", "state", "rule_id")


def _arm_alerts(target: PressRequest, *, created: bool) -> None:
    """Ask the periodic job to look at a request whose due date, state or rule changed."""
    if target.state is not None and target.state not in {s.value for s in OPEN_STATES}:
        target.next_alert_at = None
        return
    if created:
        if target.next_alert_at is None:
            target.next_alert_at = now()
        return
    if any(attributes.get_history(target, name).has_changes() for name in ALERT_INPUTS):
        current = target.next_alert_at
        moment = now()
        target.next_alert_at = moment if current is None or current > moment else current


@event.listens_for(PressRequest, "before_insert")
def _arm_new_request(_mapper: Any, _connection: Any, target: PressRequest) -> None:
    _arm_alerts(target, created=True)


@event.listens_for(PressRequest, "before_update")
def _rearm_changed_request(_mapper: Any, _connection: Any, target: PressRequest) -> None:
    _arm_alerts(target, created=False)


@dataclass(frozen=True)
class Contact:
    """The journalist's name and contact details as given with one request (staff-only)."""

    name: str
    agency: str | None
    email: str | None
    phone: str | None
    press_card_number: str | None
    press_card_expiry: date | None
    consent_publish_name: bool


class Assignment(db.Model):
    """Who held a request when, and why it moved: the assignment history."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    designation_id: Mapped[int | None] = mapped_column(ForeignKey("designations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class MessageKind(enum.StrEnum):
    """Internal notes never reach the journalist; the other two are the public conversation."""

    INTERNAL_NOTE = "internal_note"
    TO_JOURNALIST = "to_journalist"
    FROM_JOURNALIST = "from_journalist"


class Message(db.Model):
    """A note or message on a request."""

    __tablename__ = "messages"
    __table_args__ = (enum_check("kind", MessageKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    author: Mapped[User | None] = relationship()


class Extension(db.Model):
    """A lawful extension of a deadline, with its reason."""

    __tablename__ = "extensions"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    old_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ReferenceCounter(db.Model):
    """The last number used for a reference prefix in a year (AM-DHU-2026-00042)."""

    __tablename__ = "reference_counters"
    __table_args__ = (UniqueConstraint("prefix", "year", name="uq_reference_counters_prefix_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Transfer(db.Model):
    """A move of a request to the competent unit; the first unit keeps a read-only view."""

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_from_unit", "from_unit_id", "request_id"),
        # The reports count the requests transferred in a period, each once; only a request's
        # later transfers can make it count twice, and they are few: a small index of their own.
        Index("ix_transfers_repeat", "created_at", "request_id",
              postgresql_where=text("is_repeat"), sqlite_where=text("is_repeat = 1")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # Whether the request had been transferred before this (set on insert by
    # spokes.reports.totals; recounted by ``reports rebuild-totals``).
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[Unit] = relationship(foreign_keys=[to_unit_id])
