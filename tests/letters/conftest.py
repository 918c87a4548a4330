"""Fixtures of the letters tests: the request tests' world, on a fixed day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from spokes.core.clock import VN_TZ
from tests.press_requests.conftest import bring  # noqa: F401 - a fixture shared

DAY = datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ)


@pytest.fixture(autouse=True)
def _fixed_day(frozen_clock: Callable[[datetime], None]) -> None:
    frozen_clock(DAY)


@pytest.fixture()
def answered(world: dict[str, Any], make_request: Callable[..., Any], bring: Callable[..., Any]) -> Any:
    """An answered request of UBND xã Đông Hưng from a journalist of Báo An Giang."""
    req = make_request(world["dhu"], subject="Tiến độ nạo vét kênh Thứ Mười Một", agency="Báo An Giang",
                       journalist_name="Nguyễn Thị Phóng Viên")
    return bring(req, "answered")
