"""The clock move itself: the option arithmetic, and children that live on the same day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.timeshift import OFFSET_ENV, SITE_DIR, target_offset

REAL = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def test_shift_days_is_a_whole_number_of_days() -> None:
    assert target_offset(400, None, REAL) == 400 * 86400
    assert target_offset(None, None, REAL) is None


def test_clock_at_is_measured_from_the_real_now() -> None:
    assert target_offset(None, "2027-02-15T09:00+07:00", REAL) == (
        datetime(2027, 2, 15, 2, 0, tzinfo=UTC) - REAL).total_seconds()


@pytest.mark.parametrize(("days", "clock_at"), [(1, "2027-01-01T00:00+07:00"), (None, "2027-01-01T00:00")])
def test_bad_combinations_are_usage_errors(days: int | None, clock_at: str) -> None:
    with pytest.raises(pytest.UsageError):
        target_offset(days, clock_at, REAL)


def test_a_python_child_moves_its_clock_by_the_offset_it_is_given() -> None:
    env = dict(os.environ, PYTHONPATH=str(SITE_DIR), **{OFFSET_ENV: repr(timedelta(days=400).total_seconds())})
    script = "import datetime, time; print(datetime.datetime.now(datetime.UTC).isoformat()); print(time.time())"
    # The child moves from the real clock; this run may itself be moved already.
    ours = timedelta(seconds=float(os.environ.get(OFFSET_ENV) or 0))
    before = datetime.now(UTC) - ours
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    child_now = datetime.fromisoformat(out.splitlines()[0])
    after = datetime.now(UTC) - ours
    assert before + timedelta(days=400) <= child_now <= after + timedelta(days=400)
    assert abs(float(out.splitlines()[1]) - child_now.timestamp()) < 60


def test_this_run_and_its_children_agree_on_the_day() -> None:
    # Whatever --shift-days/--clock-at this run was given, a child started now sees our date.
    out = subprocess.run([sys.executable, "-c", "import datetime; print(datetime.date.today().isoformat())"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out in {(datetime.now() + timedelta(minutes=d)).date().isoformat() for d in (-5, 0, 5)}
