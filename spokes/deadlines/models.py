"""Rulebooks, rules, refusal grounds and local calendar overrides, stored as data."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db


class Confidence(enum.StrEnum):
    """How sure we are of a legal figure (RULES.md): quoted, secondary, unverified."""

    QUOTED = "Q"
    SECONDARY = "S"
    UNVERIFIED = "U"


class Rulebook(db.Model):
    """A versioned set of rules, chosen by the date a request was received."""

    __tablename__ = "rulebooks"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # None: national. Otherwise a provincial layer over the national rulebook, applying to the
    # unit with this code and its subtree, and holding only the values that regulation sets.
    scope_unit_code: Mapped[str | None] = mapped_column(String(40))
    press_conference_notice_hours: Mapped[int | None] = mapped_column(Integer)
    press_conference_notice_citation: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    rules: Mapped[list[Rule]] = relationship(
        back_populates="rulebook", cascade="all, delete-orphan", order_by="Rule.id"
    )
    refusal_grounds: Mapped[list[RefusalGround]] = relationship(
        back_populates="rulebook", cascade="all, delete-orphan", order_by="RefusalGround.code"
    )


class Rule(db.Model):
    """One deadline rule: a request type (and milestone), an amount and a unit of time."""

    __tablename__ = "rules"
    __table_args__ = (
        UniqueConstraint("rulebook_id", "request_type", "milestone", name="uq_rules_book_type_milestone"),
        CheckConstraint("unit IN ('hours', 'calendar_days', 'working_days')", name="unit_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        enum_check("confidence", Confidence),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rulebook_id: Mapped[int] = mapped_column(ForeignKey("rulebooks.id"), index=True)
    request_type: Mapped[str] = mapped_column(String(32))
    milestone: Mapped[str] = mapped_column(String(20), default="main")
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(255))
    citation_text: Mapped[str] = mapped_column(Text)
    citation_source: Mapped[str] = mapped_column(String(255))
    confidence: Mapped[str] = mapped_column(String(1))
    # True: a duty a legal text sets ("thời hạn theo quy định"); False: the unit's internal target.
    statutory: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=list)
    extension_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_max_amount: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason_required: Mapped[bool] = mapped_column(Boolean, default=True)
    escalate_after_working_days: Mapped[int] = mapped_column(Integer, default=2)
    overdue_note: Mapped[str] = mapped_column(Text, default="")

    rulebook: Mapped[Rulebook] = relationship(back_populates="rules")


class RefusalGround(db.Model):
    """A lawful ground for refusing to provide information, owned by a rulebook."""

    __tablename__ = "refusal_grounds"
    __table_args__ = (
        UniqueConstraint("rulebook_id", "code", name="uq_refusal_grounds_book_code"),
        enum_check("confidence", Confidence),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rulebook_id: Mapped[int] = mapped_column(ForeignKey("rulebooks.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    confidence: Mapped[str] = mapped_column(String(1))

    rulebook: Mapped[Rulebook] = relationship(back_populates="refusal_grounds")


class CalendarDayKind(enum.StrEnum):
    """A local override of the national calendar."""

    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"  # make-up working day (ngày làm bù)
    CANCELLED_DAY_OFF = "cancelled_day_off"  # a day the package assumed off that is in fact worked


class CalendarDaySource(enum.StrEnum):
    """Who entered a calendar day: shipped with the code (the official schedule) or an admin."""

    SHIPPED = "shipped"
    ADMIN = "admin"


class CalendarDay(db.Model):
    """A change to the package calendar: an official swap shipped with the code, or an admin's entry."""

    __tablename__ = "calendar_days"
    __table_args__ = (enum_check("kind", CalendarDayKind), enum_check("source", CalendarDaySource))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(255))
    # The document that set the day, e.g. "CV 12729/VPCP-KGVX ngày 25/12/2025".
    document: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(10), default=CalendarDaySource.ADMIN.value, server_default="admin")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ShippedLawItem(db.Model):
    """The values of one shipped law item (rulebook, rule, ground, calendar day) as last installed.

    Comparing a stored row with this snapshot tells an admin's local edit apart from a change
    in a new release, so `rulebooks sync` can apply the release without undoing the edit.
    """

    __tablename__ = "shipped_law_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    values: Mapped[dict] = mapped_column(JSON)  # type: ignore[type-arg]
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
