"""Units (a tree of any depth) and spokesperson designations."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.auth.models import User


class UnitKind(enum.StrEnum):
    """Kinds of unit in the two-level local government of 01/07/2025, plus the kinds history keeps.

    Districts (huyện) and towns (thị trấn) were abolished by the 2025 reform: an active unit
    cannot be of those kinds, a merged or deactivated one can (see HISTORICAL_KINDS).
    """

    PROVINCE = "province"
    DEPARTMENT = "department"
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL_ZONE = "special_zone"
    HAMLET = "hamlet"
    OTHER = "other"
    DISTRICT = "district"
    TOWN = "town"


# Kinds that exist only in history since 01/07/2025 (Luật Tổ chức chính quyền địa phương 72/2025/QH15).
HISTORICAL_KINDS = frozenset({UnitKind.DISTRICT.value, UnitKind.TOWN.value})


class Unit(db.Model):
    """A unit (đơn vị): People's Committee, department, commune… in a tree."""

    __tablename__ = "units"
    __table_args__ = (enum_check("kind", UnitKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_folded: Mapped[str] = mapped_column(String(255), default="", index=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Materialised path "/1/4/17/": subtree checks and queries are a prefix match on an index.
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=True)
    reference_prefix: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(255))
    portal_url: Mapped[str | None] = mapped_column(String(500))
    # Where questions sent to "I don't know which unit" go when this unit is the root of a portal.
    intake_overseer_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", foreign_keys=[parent_id], order_by="Unit.name")
    merged_into: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    designations: Mapped[list[Designation]] = relationship(back_populates="unit")

    def is_within(self, ancestor: Unit) -> bool:
        """Return whether this unit is the given unit or lies below it."""
        return self.path.startswith(ancestor.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class DesignationKind(enum.StrEnum):
    """How someone came to speak for a unit (ND 09 Điều 3; RULES.md SP-01..SP-06)."""

    HEAD = "head"
    DESIGNATED = "designated"
    AUTHORISED = "authorised"


class Designation(db.Model):
    """A spokesperson designation; the current ones form the public directory."""

    __tablename__ = "designations"
    __table_args__ = (
        enum_check("kind", DesignationKind),
        # SP-05: an authorisation is for one case or topic and has a definite term.
        CheckConstraint(
            "kind <> 'authorised' OR (valid_to IS NOT NULL AND (case_request_id IS NOT NULL OR topic IS NOT NULL))",
            name="authorised_needs_case_and_term",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="term_order"),
        Index("ix_designations_unit_current", "unit_id", "revoked_at", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(255))
    public_phone: Mapped[str | None] = mapped_column(String(40))
    public_email: Mapped[str | None] = mapped_column(String(255))
    document_number: Mapped[str] = mapped_column(String(80))
    document_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    case_request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"))
    topic: Mapped[str | None] = mapped_column(String(255))
    scan_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    unit: Mapped[Unit] = relationship(back_populates="designations")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_current(self, on: date) -> bool:
        """Return whether the designation is in force on the given (Vietnamese) date."""
        if self.revoked_at is not None or self.valid_from > on:
            return False
        return self.valid_to is None or self.valid_to >= on
