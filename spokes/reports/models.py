"""Running totals behind the reports: request counts per unit, month of receipt, type and refusal ground,
and per unit and month the transfers made out of it and its publications.

A yearly report over a province sums a few thousand of these rows instead of reading every
request. They are kept equal to the requests, transfers and publications by
``spokes.reports.totals`` (every change of a counted column, in the same transaction) and can be
rebuilt from scratch with ``flask --app spokes reports rebuild-totals``. What depends on the
moment a report is made ("overdue" and its ageing) is never stored: the report counts it live
on the open requests.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spokes.extensions import db
from spokes.press_requests.models import Channel

# The channel counts are columns of a totals row (one row per unit, month, type and ground
# rather than seven): ``ch_<channel code>``.
CHANNEL_COLUMNS = {c.value: f"ch_{c.value}" for c in Channel}
# The outcome counts of a totals row; "answered" is on_time + late.
OUTCOME_COLUMNS = ("on_time", "late", "open", "refused", "withdrawn")
COUNT_COLUMNS = ("received", *OUTCOME_COLUMNS, *CHANNEL_COLUMNS.values())
NO_GROUND = 0  # ground_id of every row but refusals' (a key column, so never NULL)


class ReportTotal(db.Model):
    """Requests received in one Vietnamese month by one unit (the unit holding them now), of one type.

    ``ground_id`` is the refusal ground of refused requests and 0 for every other outcome, so
    the refusals by ground are sums too.
    """

    __tablename__ = "report_totals"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month, Vietnamese time
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    ground_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=NO_GROUND)
    received: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    ch_web_form: Mapped[int] = mapped_column(Integer, default=0)
    ch_email: Mapped[int] = mapped_column(Integer, default=0)
    ch_phone: Mapped[int] = mapped_column(Integer, default=0)
    ch_in_person: Mapped[int] = mapped_column(Integer, default=0)
    ch_letter: Mapped[int] = mapped_column(Integer, default=0)
    ch_press_article: Mapped[int] = mapped_column(Integer, default=0)
    ch_press_conference: Mapped[int] = mapped_column(Integer, default=0)


class ReportAnswerDays(db.Model):
    """Answered requests received in one month by one unit, by working days taken to answer.

    The working days are counted with the calendar of the day the answer was counted;
    ``rebuild-totals`` recounts them with today's calendar (after a past day off is corrected).
    """

    __tablename__ = "report_answer_days"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class ReportUnitMonth(db.Model):
    """What one unit did in one Vietnamese month that is not about the requests it received.

    ``transferred``: transfers made out of the unit in the month (by ``transfers.created_at``).
    ``published``: its publications published in the month (by ``published_at``) that are not
    withdrawn now; a withdrawal takes one back from the month the item was published in.
    """

    __tablename__ = "report_unit_months"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month, Vietnamese time
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[int] = mapped_column(Integer, default=0)
