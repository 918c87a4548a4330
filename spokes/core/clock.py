"""The one clock seam: every "now" in Spokes comes from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_now: Callable[[], datetime] | None = None


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _now is not None:
        return _now()
    return datetime.now(UTC)


def freeze(moment: datetime | Callable[[], datetime] | None) -> None:
    """Pin the clock for tests (None restores the real clock)."""
    global _now
    if moment is None:
        _now = None
    elif callable(moment):
        _now = moment
    else:
        if moment.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        _now = lambda: moment  # noqa: E731 - a tiny closure reads better than a def here


def today_vn() -> date:
    """Return today's date in Vietnam (Asia/Ho_Chi_Minh)."""
    return now().astimezone(VN_TZ).date()
