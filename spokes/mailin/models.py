"""A unit's mailbox (its fetch progress and lease) and every message fetched from it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.press_requests.models import PressRequest
    from spokes.units.models import Unit


class Mailbox(db.Model):
    """Where fetching a unit's mailbox has got to. Credentials are never stored here (config only).

    ``claim_token``/``claimed_until`` are a lease: one fetcher at a time per mailbox, whatever
    the number of servers; a killed fetcher's lease runs out after ``MAIL_IN_CLAIM_SECONDS``.
    """

    __tablename__ = "mailin_mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    unit: Mapped[Unit] = relationship(lazy="joined")


class InboundOutcome(enum.StrEnum):
    """What Spokes made of one fetched message."""

    NEW_REQUEST = "new_request"
    FOLLOW_UP = "follow_up"
    CLOSED_REQUEST = "closed_request"  # a reply on a request that is already closed: kept, not filed
    AUTOMATIC = "automatic"  # auto-reply, bounce or mailing list: no request, no receipt
    OWN = "own"  # the unit's own address or a mail Spokes sent
    DUPLICATE = "duplicate"  # the same Message-ID was already filed from this mailbox
    QUARANTINED = "quarantined"  # could not be parsed: kept whole for staff


class InboundMail(db.Model):
    """One message fetched from a mailbox. (mailbox, UIDVALIDITY, UID) is unique: filed once, ever."""

    __tablename__ = "mailin_messages"
    __table_args__ = (
        enum_check("outcome", InboundOutcome),
        UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_mailin_messages_uid"),
        Index("ix_mailin_messages_unit_outcome", "unit_id", "outcome", "id"),
        Index("ix_mailin_messages_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailin_mailboxes.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(255))  # the header, as sent
    from_address: Mapped[str | None] = mapped_column(String(255))
    from_name: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())  # INTERNALDATE: arrival at the server
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    press_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept whole for quarantined messages
    skipped_attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    type_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    type_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    unit: Mapped[Unit] = relationship(lazy="joined")
    request: Mapped[PressRequest | None] = relationship(lazy="raise")
