"""A press conference (họp báo) a unit holds, and the record of its notice to the press regulator.

The public feed's press-conference item is an announcement to journalists; the notice the law
asks for is a numbered letter to the state press regulator (Law on Press 2016 Điều 41; from
01/07/2026 the Law on Press 2025 and NĐ 237/2026 Điều 22), issued through the register. This
row holds what the notice states, when it was actually sent, and any refusal by the regulator.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.units.models import Unit


class PressConference(db.Model):
    """One press conference: what the notice to the regulator states, its sending, any refusal."""

    __tablename__ = "press_conferences"
    __table_args__ = (Index("ix_press_conferences_unit_starts", "unit_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(255))  # nội dung họp báo, in a line
    content: Mapped[str] = mapped_column(Text)  # what will be announced or explained
    place: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chair_name: Mapped[str] = mapped_column(String(255))
    chair_title: Mapped[str] = mapped_column(String(255))
    invited_outlets: Mapped[str] = mapped_column(Text, default="")  # one press agency a line
    regulator_name: Mapped[str] = mapped_column(String(255))  # whom the notice is addressed to
    regulator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The public announcement on the feed, when there is one (it is not the notice).
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    # When the notice actually left (issue is not sending), how, and who recorded it.
    notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice_sent_via: Mapped[str | None] = mapped_column(String(120))
    notice_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The regulator's written refusal, if any.
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refusal_document: Mapped[str | None] = mapped_column(String(120))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    refusal_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    regulator_unit: Mapped[Unit | None] = relationship(foreign_keys=[regulator_unit_id])

    @property
    def outlets(self) -> list[str]:
        """Return the invited press agencies, one per line as typed."""
        return [line.strip() for line in (self.invited_outlets or "").splitlines() if line.strip()]
