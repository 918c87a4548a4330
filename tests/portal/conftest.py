"""Fixtures of the journalist portal tests: a fixed clock, a commune with its chair, form data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from .helpers import NOW


@pytest.fixture()
def clock(frozen_clock: Callable[[datetime], None]) -> Callable[[datetime], None]:
    """Pin the clock to NOW and return the freezer for tests that move it."""
    frozen_clock(NOW)
    return frozen_clock


@pytest.fixture()
def commune(district: dict[str, Any], make_user: Callable[..., Any], rulebooks: None, clock: Any) -> dict[str, Any]:
    """UBND xã Đông Hưng with a chair who holds a head designation."""
    chair = make_user("head", district["dhu"], designate="head", name="Nguyễn Văn Hải",
                      title="Chủ tịch UBND xã Đông Hưng", email="chutich@donghung.vn")
    return {**district, "chair": chair}
