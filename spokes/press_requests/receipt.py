"""The receipt-time rule, once: when a request may be noted as received (the legal clock runs from it).

Pure: the moment is an argument. The intake form shows the problem beside its field; the intake
service refuses the same problem with 400, for callers that bypass the form (API, imports, demo).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

# A receipt noted further back than this needs a written reason.
BACKDATING_WITHOUT_REASON = timedelta(hours=1)
IN_THE_FUTURE = _l("Thời điểm tiếp nhận không thể ở tương lai.")
REASON_NEEDED = _l("Khi ghi thời điểm tiếp nhận sớm hơn hiện tại, vui lòng nêu lý do.")
EVENT_AFTER_RECEIPT = _l("Thời điểm xảy ra sự kiện không thể sau thời điểm tiếp nhận.")


def receipt_problem(received_at: datetime | None, reason: str | None, moment: datetime) -> Any | None:
    """Return what is wrong with a stated receipt time at ``moment`` (a lazy message), or None.

    None for ``received_at`` means "now", which is always right.
    """
    if received_at is None:
        return None
    if received_at > moment:
        return IN_THE_FUTURE
    if moment - received_at > BACKDATING_WITHOUT_REASON and not (reason or "").strip():
        return REASON_NEEDED
    return None


def event_problem(event_at: datetime | None, received_at: datetime) -> Any | None:
    """Return what is wrong with the time of the event an emergency request is about (a lazy message), or None.

    The deadline of an emergency runs from the event (ND 09 Điều 6): an event after the request
    reached the unit has not happened yet, and would push the deadline out.
    """
    if event_at is not None and event_at > received_at:
        return EVENT_AFTER_RECEIPT
    return None
