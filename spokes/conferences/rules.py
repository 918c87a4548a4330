"""The press-conference timing rules. Pure: times and hours in, findings out.

- Notice: a written notice must reach the state press regulator at least N hours before the
  conference (N = 24 in both rulebooks; the rulebook row carries the hours and the citation).
  Law on Press 2016 Điều 41 khoản 3: "phải thông báo bằng văn bản trước 24 giờ tính đến thời
  điểm dự định họp báo cho cơ quan quản lý nhà nước về báo chí" (S: read through a legal Q&A
  site quoting the Law, see ``spokes/deadlines/law.md``).
- Refusal: the regulator may refuse in writing at least 12 hours before the conference. No text
  of this was read here (U): Spokes records a refusal whenever it comes, and tells staff only
  whether it came at least 12 hours ahead; nothing about it is shown to the public.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

REFUSAL_HOURS = 12
REFUSAL_CONFIDENCE = "U"
REFUSAL_CITATION = ("Cơ quan quản lý nhà nước về báo chí có thể không đồng ý việc họp báo bằng văn bản, "
                    "chậm nhất 12 giờ trước giờ họp báo (chưa đối chiếu được văn bản; độ tin cậy U).")


@dataclass(frozen=True)
class NoticeCheck:
    """Whether a notice was (or can still be) in time."""

    latest_at: datetime  # the last moment the notice may leave
    sent_at: datetime | None
    late: bool  # sent after latest_at, or not sent and latest_at has passed
    margin: timedelta  # conference start minus sending (or minus now when not sent)


def notice_check(starts_at: datetime, notice_hours: int, sent_at: datetime | None, moment: datetime) -> NoticeCheck:
    """Return whether the notice of a conference starting at ``starts_at`` is, or was, in time."""
    latest = starts_at - timedelta(hours=notice_hours)
    if sent_at is not None:
        return NoticeCheck(latest, sent_at, sent_at > latest, starts_at - sent_at)
    return NoticeCheck(latest, None, moment > latest, starts_at - moment)


def refusal_in_time(starts_at: datetime, refused_at: datetime) -> bool:
    """Tell whether a refusal came at least REFUSAL_HOURS before the conference."""
    return starts_at - refused_at >= timedelta(hours=REFUSAL_HOURS)


def duration_words(span: timedelta) -> str:
    """Return a span as Vietnamese words: "1 ngày 2 giờ 30 phút", "45 phút"; a negative span is "0 phút"."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} ngày"] if days else []
    if hours:
        parts.append(f"{hours} giờ")
    if mins or not parts:
        parts.append(f"{mins} phút")
    return " ".join(parts)
