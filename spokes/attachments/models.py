"""The attachment row: an uploaded file, kept outside static/ under a random name.

Shared by requests, answers, publications and designation scans, so it belongs to none of them;
it links to its owner by foreign key only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime
from spokes.extensions import db


class Attachment(db.Model):
    """An uploaded file, stored outside static/ under a random name."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"), index=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30), default="evidence")  # evidence, letter, answer, scan
    display_name: Mapped[str] = mapped_column(String(255))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    mime_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
