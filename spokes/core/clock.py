"""The one clock seam: every "now" in Spokes comes from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Run a block as if it were ``moment``, then give the clock back as it was (real or frozen).

    The demo uses this to write history at the dates it happened (a 2024 answer is answered in 2024).
    """
    global _now
    if moment.tzinfo is None:
        raise ValueError("pinned() needs an aware datetime")
    saved = _now
    _now = lambda: moment  # noqa: E731 - as in freeze()
    try:
        yield
    finally:
        _now = saved
