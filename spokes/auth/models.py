"""Staff accounts and their memberships (user, unit, role)."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from spokes.auth.permissions import Role
from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db
from spokes.units.models import Unit


def password_hash_method() -> str:
    """Return the hashing method: scrypt, unless the config picks another (tests use a fast one)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return "scrypt"


class NotifyMode(enum.StrEnum):
    """How a staff member wants e-mail: at once, or a daily digest (the default)."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class User(UserMixin, db.Model):
    """A staff member. Journalists need no account."""

    __tablename__ = "users"
    __table_args__ = (
        enum_check("notify_mode", NotifyMode),
        CheckConstraint("locale IN ('vi', 'en')", name="locale_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    notify_mode: Mapped[str] = mapped_column(String(12), default=NotifyMode.DIGEST.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Raised by logout and "sign out everywhere": every session and remember-me cookie that
    # carries an older generation stops working (checked by the user loader through get_id).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def session_stamp(self) -> str:
        """Return a short digest of the password hash and the session generation.

        It changes whenever the password does, and whenever the user signs out (logout or
        "sign out everywhere" raise the generation), so copied session and remember-me
        cookies stop working server-side.
        """
        material = f"{self.password_hash}:{self.session_generation or 0}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """Return what the session and the remember-me cookie keep: the id and the session stamp.

        A new password (changed, reset by an admin, or set through a reset link) changes the
        stamp, so every session and remember-me cookie opened with the old one stops working.
        """
        return f"{self.id}:{self.session_stamp}"

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password, method=password_hash_method())
        self.password_changed_at = now()

    def check_password(self, password: str) -> bool:
        """Return whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(db.Model):
    """A role held in a unit. Rights reach the unit, or its subtree for overseers and admins."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "unit_id", "role", name="uq_memberships_user_unit_role"),
        enum_check("role", Role),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def role_enum(self) -> Role:
        """Return the role as the enum."""
        return Role(self.role)


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

    user: Mapped["User"] = relationship(foreign_keys=[user_id])

    def is_usable(self, at: datetime) -> bool:
        """Return whether the link can still be used at the given moment."""
        return self.used_at is None and self.expires_at > at
