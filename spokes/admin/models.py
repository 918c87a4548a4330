"""Site-wide settings kept as data, and one-time password reset links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.auth.models import User
from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime
from spokes.extensions import db


class SiteSetting(db.Model):
    """A key/value setting an admin can change (e.g. the unit for "unknown unit" questions)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)


class PasswordResetToken(db.Model):
    """A one-time password reset link. Only the SHA-256 of the token is stored; it expires and is used once."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, at: datetime) -> bool:
        """Return whether the link can still be used at the given moment."""
        return self.used_at is None and self.expires_at > at
