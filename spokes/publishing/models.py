"""Publications on the public news feed, their revisions, and recurring duties."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    correction_note: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    publication: Mapped[Publication] = relationship(back_populates="revisions")


class RecurringDuty(db.Model):
    """A recurring obligation such as a quarterly press conference (ND 09 Điều 5)."""

    __tablename__ = "recurring_duties"
    __table_args__ = (CheckConstraint("every_months > 0", name="period_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    publication_kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(255))
    every_months: Mapped[int] = mapped_column(Integer)
    next_due_on: Mapped[date] = mapped_column(Date)
    citation: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
