"""The reports' receivers: keep the running totals in step with the requests.

Changes made through the ORM are followed by ``totals.follow_requests`` (every flush of a press
request). A unit merge moves requests with one bulk statement, which no flush sees: its domain
event recounts the units it touched.
"""

from __future__ import annotations

from typing import Any

from spokes.core import events
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.reports import totals


def on_unit_merged(sender: Any, merged: list[Any], **_kw: Any) -> None:
    """Recount the surviving unit and the units merged into it (their rows move to it)."""
    totals.recount(db.session.connection(), work_calendar(), [sender.id, *(u.id for u in merged)])


def subscribe() -> None:
    """Connect the receivers (idempotent: connecting twice is a no-op)."""
    totals.follow_requests()
    events.unit_merged.connect(on_unit_merged)
