"""Publications on the public news feed, their revisions, and recurring duties."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.units.models import Unit


class PublicationKind(enum.StrEnum):
    """An approved answer, or a statement made without a request."""

    ANSWER = "answer"
    EMERGENCY = "emergency"
    PERIODIC = "periodic"
    PRESS_CONFERENCE_NOTICE = "press_conference_notice"
    PRESS_CONFERENCE_OUTCOME = "press_conference_outcome"


class Publication(db.Model):
    """An item on the public news feed. Corrections make revisions; nothing changes silently."""

    __tablename__ = "publications"
    __table_args__ = (
        enum_check("kind", PublicationKind),
        CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL", name="withdrawal_has_reason"
        ),
        Index("ix_publications_unit_published", "unit_id", "published_at"),
        Index("ix_publications_published", "published_at"),
        # The feeds: the most recently updated items, site-wide and per unit, read from the top.
        Index("ix_publications_updated", "updated_at"),
        Index("ix_publications_unit_updated", "unit_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(30))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    speaker_name: Mapped[str] = mapped_column(String(255))
    speaker_title: Mapped[str | None] = mapped_column(String(255))
    question_subject: Mapped[str | None] = mapped_column(String(255))
    question_agency: Mapped[str | None] = mapped_column(String(255))
    question_journalist: Mapped[str | None] = mapped_column(String(255))  # only with consent
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An emergency statement is owed within hours of the event (ND 09 Điều 6): the due time.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conference_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision_number: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship(lazy="joined")
    revisions: Mapped[list[PublicationRevision]] = relationship(
        back_populates="publication", order_by="PublicationRevision.number"
    )


class PublicationRevision(db.Model):
    """A frozen earlier version of a publication, shown publicly after a correction."""

    __tablename__ = "publication_revisions"
    __table_args__ = (UniqueConstraint("publication_id", "number", name="uq_publication_revisions_pub_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    speaker_name: Mapped[str | None] = mapped_column(String(255))
    speaker_title: Mapped[str | None] = mapped_column(String(255))
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conference_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correction_note: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    publication: Mapped[Publication] = relationship(back_populates="revisions")


class RecurringDuty(db.Model):
    """A recurring obligation such as a quarterly press conference (ND 09 Điều 5)."""

    __tablename__ = "recurring_duties"
    __table_args__ = (
        CheckConstraint("every_months > 0", name="period_positive"),
        CheckConstraint("remind_days_before >= 0", name="remind_nonnegative"),
        enum_check("publication_kind", PublicationKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    publication_kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(255))
    every_months: Mapped[int] = mapped_column(Integer)
    next_due_on: Mapped[date] = mapped_column(Date)
    citation: Mapped[str | None] = mapped_column(Text)
    # The duty shows as due on the staff home from this many days before next_due_on.
    remind_days_before: Mapped[int] = mapped_column(Integer, default=14)
    active: Mapped[bool] = mapped_column(default=True)
    last_fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    unit: Mapped[Unit] = relationship(lazy="joined")


# --------------------------------------------------------------------------- nothing changes silently

# What readers saw: changing any of these is a correction and needs a frozen revision.
CORRECTED_FIELDS = ("title", "summary", "body", "speaker_name", "speaker_title", "event_at", "conference_at")
# Facts of the original publication that no correction may change. (unit_id is left out: a
# merger of units moves their history, publications included.)
FROZEN_FIELDS = ("slug", "kind", "request_id", "answer_id", "published_at",
                 "question_subject", "question_agency", "question_journalist")


class SilentChangeError(RuntimeError):
    """A published item was about to change without a revision (a programming error)."""


@event.listens_for(Session, "before_flush")
def _refuse_silent_changes(session: Session, _context: object, _instances: object) -> None:
    """Refuse any flush that edits a publication without freezing the previous version.

    The rule lives at the model level so that no code path, now or later, can skip it.
    """
    new_revisions = {
        (r.publication_id or (r.publication.id if r.publication is not None else None), r.number)
        for r in session.new if isinstance(r, PublicationRevision)
    }
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, PublicationRevision) and (obj in session.deleted or session.is_modified(obj)):
            raise SilentChangeError("publication revisions are frozen")
        if not isinstance(obj, Publication):
            continue
        if obj in session.deleted:
            raise SilentChangeError("publications are withdrawn, never deleted")
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in FROZEN_FIELDS):
            raise SilentChangeError(f"publication {obj.id}: original facts cannot change")
        if any(state.attrs[name].history.has_changes() for name in CORRECTED_FIELDS) and \
                (obj.id, obj.revision_number - 1) not in new_revisions:
            raise SilentChangeError(f"publication {obj.id} changed without a revision")
