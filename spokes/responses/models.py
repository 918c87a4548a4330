"""Answers: a draft, then approval, then sending (or a proposed lawful refusal)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.auth.models import User
    from spokes.deadlines.models import RefusalGround


class AnswerKind(enum.StrEnum):
    """An answer, or a proposal to refuse on a legal ground."""

    ANSWER = "answer"
    REFUSAL = "refusal"


class AnswerForm(enum.StrEnum):
    """The six forms of providing information (ND 09 Điều 4)."""

    WRITTEN = "written"
    EMAIL = "email"
    INTERVIEW = "interview"
    PRESS_CONFERENCE = "press_conference"
    PORTAL_POST = "portal_post"
    CORRECTION_REQUEST = "correction_request"


class AnswerStatus(enum.StrEnum):
    """Where a draft stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SENT = "sent"
    SUPERSEDED = "superseded"


class Answer(db.Model):
    """The unit's answer to a request (or its proposed refusal)."""

    __tablename__ = "answers"
    __table_args__ = (
        enum_check("kind", AnswerKind),
        enum_check("form", AnswerForm),
        enum_check("status", AnswerStatus),
        CheckConstraint(
            "kind <> 'refusal' OR (refusal_ground_id IS NOT NULL AND refusal_reason IS NOT NULL)",
            name="refusal_has_ground",
        ),
        CheckConstraint("status NOT IN ('approved', 'sent') OR approved_at IS NOT NULL", name="approved_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=AnswerKind.ANSWER.value)
    form: Mapped[str] = mapped_column(String(20), default=AnswerForm.WRITTEN.value)
    status: Mapped[str] = mapped_column(String(12), default=AnswerStatus.DRAFT.value)
    body: Mapped[str] = mapped_column(Text, default="")
    refusal_ground_id: Mapped[int | None] = mapped_column(ForeignKey("refusal_grounds.id"))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    interview_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    interview_place: Mapped[str | None] = mapped_column(String(255))
    questions_received: Mapped[bool] = mapped_column(Boolean, default=False)
    # An interview answer may go out when the questions came in advance OR the interviewee
    # consents to answer without them; which one is recorded.
    interviewee_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    review_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    return_comment: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])
    refusal_ground: Mapped[RefusalGround | None] = relationship()
