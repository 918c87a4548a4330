"""Run the suite on another day: ``--shift-days N`` or ``--clock-at 2027-02-15T09:00+07:00``.

A test whose outcome depends on the real date is a time bomb: it passes today and fails the
day the calendar overtakes a date it hard-codes. CI therefore runs the suite again with the
real clock moved (``.ci/run``). The move uses time-machine, so ``datetime.now()``,
``date.today()`` and ``time.time()`` all agree on the new day while ``time.monotonic()`` (and
so every timeout) keeps running as usual; the clock ticks on from the chosen moment.

Servers and CLI commands started as subprocesses must live on the same day. When a shift is
active, this folder's ``sitecustomize`` directory goes first on ``PYTHONPATH`` and the offset
in seconds is put in ``SPOKES_TEST_CLOCK_OFFSET``; every Python child (gunicorn and its
workers, ``flask`` commands) then moves its clock by the same offset as it starts.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

OFFSET_ENV = "SPOKES_TEST_CLOCK_OFFSET"
SITE_DIR = Path(__file__).resolve().parent / "site"

_traveller = None


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--shift-days`` and ``--clock-at``."""
    group = parser.getgroup("spokes clock", "run the suite on another day")
    group.addoption("--shift-days", type=int, default=None, metavar="N",
                    help="move the real clock N days ahead (or back, if negative) for the whole run")
    group.addoption("--clock-at", default=None, metavar="ISO",
                    help="start the whole run at this moment (ISO 8601 with an offset), the clock ticking on")


def target_offset(shift_days: int | None, clock_at: str | None, real_now: datetime) -> float | None:
    """Return how many seconds to move the clock, or None for the real one."""
    if shift_days is not None and clock_at is not None:
        raise pytest.UsageError("--shift-days and --clock-at exclude each other")
    if shift_days is not None:
        return timedelta(days=shift_days).total_seconds()
    if clock_at is not None:
        moment = datetime.fromisoformat(clock_at)
        if moment.tzinfo is None:
            raise pytest.UsageError("--clock-at needs an offset, e.g. 2027-02-15T09:00+07:00")
        return (moment - real_now).total_seconds()
    return None


def _real_time() -> float:
    """Return the real clock's time: an xdist worker, a child of the moved run, was already
    moved as it started (sitecustomize), and must measure from the real clock all the same."""
    import time_machine

    hatch = time_machine.escape_hatch
    return hatch.time.time() if hatch.is_travelling() else time.time()


def start(offset: float) -> None:
    """Move this process's clock by ``offset`` seconds and arrange the same for its children."""
    global _traveller
    import time_machine

    _traveller = time_machine.travel(_real_time() + offset, tick=True)  # replaces a move made at start
    _traveller.start()
    os.environ[OFFSET_ENV] = repr(offset)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE_DIR), os.environ.get("PYTHONPATH")]))


def stop() -> None:
    """Put the real clock back (end of the run)."""
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_configure(config: pytest.Config) -> None:
    """Start the move before any test module is imported."""
    offset = target_offset(config.getoption("shift_days"), config.getoption("clock_at"),
                           datetime.fromtimestamp(_real_time(), UTC))
    if offset is not None:
        start(offset)


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which day the run believes it is."""
    if os.environ.get(OFFSET_ENV):
        return f"clock moved by {float(os.environ[OFFSET_ENV]) / 86400:+.2f} days: now {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the move."""
    stop()
