"""The 429 page's wait, as a reader counts it (the limiter's Retry-After in seconds)."""

from __future__ import annotations

import pytest

from spokes.core.errors import wait_text


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "1 phút"), (20, "1 phút"), (89, "1 phút"), (91, "2 phút"),
    (3540, "59 phút"), (3601, "60 phút"), (5400, "90 phút"),
    (5460, "2 giờ"), (9000, "3 giờ"), (86401, "24 giờ"),
])
def test_waits_are_whole_minutes_then_whole_hours(app, seconds, expected):
    with app.test_request_context("/"):
        assert wait_text(seconds) == expected
