"""The press agency's time to publish what a sixth-form letter asks. Pure: dates in, a moment out.

Law on Press 2025 and NĐ 237/2026 Điều 19 set how soon a press agency must publish a unit's
feedback, correction or apology. Their text could not be read here (searched on 03/12/2026,
see ``spokes/deadlines/law.md``), so the period below is an unverified default (U): shown to
staff as a follow-up milestone with that label, never to the public or in a letter as law. A
unit may set its own date when issuing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from spokes.core.clock import VN_TZ

DEFAULT_DAYS = 5
CONFIDENCE = "U"
RULE_TEXT = ("Mốc theo dõi nội bộ: {days} ngày kể từ ngày ban hành văn bản. Thời hạn cơ quan báo chí phải đăng, "
             "phát phản hồi, cải chính, xin lỗi theo Luật Báo chí 2025 và Nghị định 237/2026/NĐ-CP (Điều 19) "
             "chưa đối chiếu được văn bản; độ tin cậy U.")
OWN_DATE_TEXT = "Mốc do đơn vị đặt khi ban hành văn bản (chỉ tiêu nội bộ của đơn vị)."


@dataclass(frozen=True)
class Milestone:
    """When the press agency should have published, by what rule, how sure."""

    due_at: datetime
    rule: str
    confidence: str


def milestone(issued_on: date, own_date: date | None = None, days: int = DEFAULT_DAYS) -> Milestone:
    """Return the milestone: the end (24:00, Vietnamese time) of the unit's own date, or of the default period.

    Days are counted from the day after issue (Bộ luật Dân sự 2015 Điều 147, as the deadlines do).
    """
    if own_date is not None:
        return Milestone(_end_of(own_date), OWN_DATE_TEXT, "U")
    return Milestone(_end_of(issued_on + timedelta(days=days)), RULE_TEXT.format(days=days), CONFIDENCE)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=VN_TZ)


def is_overdue(due_at: datetime | None, published_at: datetime | None, moment: datetime) -> bool:
    """Tell whether a milestone has passed with nothing published."""
    return due_at is not None and published_at is None and moment > due_at
