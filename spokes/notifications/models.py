"""The e-mail outbox, its delivery attempts, in-app notifications and deadline-alert progress."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.auth.models import User
    from spokes.press_requests.models import PressRequest


class MailStatus(enum.StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; kept for an admin to resend


def new_message_id(domain: str | None = None) -> str:
    """Return a fresh RFC 5322 Message-ID; it is stored, so every retry of a mail carries the same one."""
    return f"<{uuid.uuid4().hex}@{domain or 'spokes.local'}>"


class OutboxAttachment(db.Model):
    """A file sent with an outbox mail (e.g. an official letter as PDF), kept with the mail."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outbox_mails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class OutboxMail(db.Model):
    """An e-mail, written in the same transaction as the change that causes it.

    A sender claims rows (``claim_token`` and a lease in ``claimed_until``), delivers them and
    marks them sent in the transaction that releases the claim; see spokes/notifications/sender.py.
    """

    __tablename__ = "outbox_mails"
    __table_args__ = (
        enum_check("status", MailStatus),
        Index("ix_outbox_mails_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # What the mail is about (journalist.received, staff.notice, staff.digest…), for people reading the table.
    kind: Mapped[str | None] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    message_id: Mapped[str] = mapped_column(String(255), default=new_message_id)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)  # rows in outbox_attachments
    # The request a journalist's mail is about: its conversation headers (In-Reply-To, References,
    # Reply-To) are built from it when sent, and replies are threaded back by its Message-ID.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender's lease: nobody else takes the row until it expires (a crashed sender's rows come back).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttemptOutcome(enum.StrEnum):
    """What one delivery attempt came to."""

    SENT = "sent"
    RETRY = "retry"  # a temporary failure; the row waits for its next attempt
    FAILED = "failed"  # a permanent failure or the last attempt


class MailAttempt(db.Model):
    """One try at delivering an outbox row, kept so failures can be explained."""

    __tablename__ = "outbox_attempts"
    __table_args__ = (enum_check("outcome", AttemptOutcome),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outbox_mails.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str] = mapped_column(String(10))  # smtp | file
    worker: Mapped[str] = mapped_column(String(120))  # host:pid of the sender


class Notification(db.Model):
    """An in-app notice for a staff member; digests gather the ones not yet e-mailed."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_emailed", "user_id", "emailed_at"),
        # The digest reads only notices still waiting (neither e-mailed nor read): a small index
        # however many notices pile up over the years.
        Index("ix_notifications_unsent", "user_id", "created_at",
              postgresql_where=text("emailed_at IS NULL AND read_at IS NULL"),
              sqlite_where=text("emailed_at IS NULL AND read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # (request, reminder kind, recipient) — unique, so a reminder is sent once, ever.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The e-mail (immediate notice or digest) that carried this notice.
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mails.id"), index=True)

    user: Mapped[User] = relationship(lazy="raise")
    request: Mapped[PressRequest | None] = relationship(lazy="raise")


class DeadlineAlert(db.Model):
    """How far the reminders and escalations of one request's current due date have gone.

    Only an optimisation: the unique ``Notification.dedupe_key`` is what guarantees a notice
    is sent once. This row lets each tick skip, in SQL, the requests with nothing left to do,
    so a tick stays fast with hundreds of thousands of open requests. When ``due_at`` no
    longer matches the request's (an extension, a transfer, a calendar change), the progress
    starts again for the new date.
    """

    __tablename__ = "deadline_alerts"

    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_offset: Mapped[int | None] = mapped_column(Integer)  # smallest offset reminded so far
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ConclusionAlert(db.Model):
    """How far the reminders and escalations of a request's conclusion milestone have gone.

    The same bookkeeping as ``DeadlineAlert``, for the second milestone of a forwarded complaint
    or denunciation: sending the recorded conclusion to the press agency (ND 237 Điều 18(2)).
    """

    __tablename__ = "conclusion_alerts"

    request_id: Mapped[int] = mapped_column(ForeignKey("press_requests.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_offset: Mapped[int | None] = mapped_column(Integer)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
