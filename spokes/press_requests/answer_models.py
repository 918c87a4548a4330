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
    """The six forms of providing information, in the order of ND 09/2017 Điều 4.

    Release 0010 mapped the older list: ``email`` became ``written`` (Điều 4 puts a written
    answer and an e-mailed one in one form) and ``briefing`` was added.
    """

    PRESS_CONFERENCE = "press_conference"  # 1. họp báo
    PORTAL_POST = "portal_post"  # 2. đăng tải trên Cổng/Trang thông tin điện tử, mạng xã hội chính thức
    INTERVIEW = "interview"  # 3. phát ngôn trực tiếp hoặc trả lời phỏng vấn
    WRITTEN = "written"  # 4. thông cáo báo chí, trả lời bằng văn bản hoặc thư điện tử
    BRIEFING = "briefing"  # 5. trao đổi trực tiếp hoặc tại giao ban báo chí khi được yêu cầu
    CORRECTION_REQUEST = "correction_request"  # 6. văn bản đề nghị đăng, phát phản hồi, cải chính, xin lỗi


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
