"""The register of outgoing documents (sổ văn bản đi) and the letters entered in it.

Numbers run per unit and calendar year from 01 upwards. ``RegisterCounter`` holds the last
number given; taking the next one is a single ``UPDATE … RETURNING`` on that row, so two
servers issuing at the same moment can never get the same number, and a number is used
only by a letter that was committed with it (a rolled-back issue gives its number back).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from spokes.core.clock import now
from spokes.core.model_types import UTCDateTime, enum_check
from spokes.extensions import db

if TYPE_CHECKING:
    from spokes.auth.models import User
    from spokes.conferences.models import PressConference
    from spokes.press_requests.models import PressRequest
    from spokes.units.models import Designation, Unit


class LetterKind(enum.StrEnum):
    """The letters Spokes issues from a request's recorded data."""

    REPLY = "reply"  # trả lời, cung cấp thông tin cho cơ quan báo chí
    REFUSAL = "refusal"  # từ chối cung cấp thông tin, with its legal ground
    ACCEPTANCE = "acceptance"  # thông báo thụ lý (forwarded feedback or complaint)
    MEASURES = "measures"  # thông báo biện pháp giải quyết
    CONCLUSION = "conclusion"  # thông báo kết luận
    # The sixth form of ND 09 Điều 4: đề nghị cơ quan báo chí đăng, phát phản hồi, cải chính, xin lỗi
    # (the CLI also calls it "publication-request"); the press agency's time to publish is tracked.
    CORRECTION = "correction"
    CONFERENCE = "conference"  # thông báo tổ chức họp báo, to the state press regulator
    DESIGNATION = "designation"  # quyết định giao nhiệm vụ phát ngôn
    ANNOUNCEMENT = "announcement"  # thông báo người phát ngôn, to press agencies
    AUTHORISATION = "authorisation"  # giấy ủy quyền phát ngôn (one case, a definite term)


class PublicationAsk(enum.StrEnum):
    """What a sixth-form letter asks the press agency to publish."""

    FEEDBACK = "feedback"  # phản hồi
    CORRECTION = "correction"  # cải chính
    APOLOGY = "apology"  # xin lỗi


class RegisterCounter(db.Model):
    """The last number given in one unit's register for one calendar year."""

    __tablename__ = "letter_register_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class LetterSettings(db.Model):
    """How a unit's letters are headed: the symbol after the number, and the place name."""

    __tablename__ = "letter_settings"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(40))  # "UBND-VP" → "Số: 12/UBND-VP"
    place_name: Mapped[str] = mapped_column(String(120))  # "Đông Hưng" → "Đông Hưng, ngày 03 tháng 12 năm 2026"
    # The unit's own DOCX template (docxtpl), replacing the built-in layout; None: the built-in one.
    template_docx: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    template_name: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)


class Letter(db.Model):
    """One entry of the register of outgoing documents, with the file that was issued."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "number", name="uq_letters_unit_year_number"),
        enum_check("kind", LetterKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(500))  # trích yếu: "V/v trả lời …"
    recipient: Mapped[str] = mapped_column(String(500))  # Kính gửi
    copies_to: Mapped[str] = mapped_column(Text, default="")  # Nơi nhận, one per line
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(255))
    signer_position: Mapped[str] = mapped_column(String(255))  # "PHÓ CHỦ TỊCH"
    signer_authority: Mapped[str] = mapped_column(String(255), default="")  # "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"
    request_id: Mapped[int | None] = mapped_column(ForeignKey("press_requests.id"), index=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    docx: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    # The PDF: rendered and, where the unit has a certificate, signed at issue; or a signed
    # copy uploaded later (signed with the unit's own token), kept only if its signature holds.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_signer: Mapped[str | None] = mapped_column(String(500))  # the certificate's subject, when signed
    pdf_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What else a letter may be about: a press conference (its notice) or a spokesperson designation.
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("press_conferences.id"), index=True)
    designation_id: Mapped[int | None] = mapped_column(ForeignKey("designations.id"), index=True)
    # A sixth-form letter (kind "correction"): what it asks, the press agency's milestone to
    # publish it (its rule and confidence; U is for staff only), and when it was published.
    publication_asks: Mapped[str | None] = mapped_column(String(40))  # "feedback,correction"
    publication_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    publication_rule: Mapped[str | None] = mapped_column(Text)
    publication_confidence: Mapped[str | None] = mapped_column(String(1))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_url: Mapped[str | None] = mapped_column(String(500))

    unit: Mapped[Unit] = relationship(lazy="joined")
    request: Mapped[PressRequest | None] = relationship()
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    replaces: Mapped[Letter | None] = relationship(remote_side=[id])
    conference: Mapped[PressConference | None] = relationship()
    designation: Mapped[Designation | None] = relationship()

    @property
    def number_and_symbol(self) -> str:
        """Return the "số, ký hiệu" as printed: 05/UBND-VP (two digits at least)."""
        return f"{self.number:02d}/{self.symbol}"
