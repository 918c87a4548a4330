"""The reports' receivers: keep the running totals in step with the requests, transfers and publications.

Changes made through the ORM are followed by ``totals.follow`` (every flush of a press
request, a transfer or a publication). A unit merge moves requests and publications with bulk
statements, which no flush sees: its domain event recounts the units it touched.
"""

from __future__ import annotations

from typing import Any

from spokes.core import events
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.reports import totals


def on_unit_merged(sender: Any, merged: list[Any], **_kw: Any) -> None:
    """Recount the surviving unit and the units merged into it (their requests and publications move to it)."""
    totals.recount(db.session.connection(), work_calendar(), [sender.id, *(u.id for u in merged)])


def subscribe() -> None:
    """Connect the receivers (idempotent: connecting twice is a no-op)."""
    totals.follow()
    events.unit_merged.connect(on_unit_merged)
