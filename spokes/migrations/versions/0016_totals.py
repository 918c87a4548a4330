"""reports from running totals

``report_totals`` holds request counts per unit, Vietnamese month of receipt, type and refusal
ground (outcomes and channels as columns); ``report_answer_days`` the answered requests per
unit, month and working days taken. Both are filled here from the existing requests, counting
working days with the calendar as it stands (package holidays and the calendar_days rows).

Revision ID: 0011totals
Revises: 0010scale
Create Date: 2026-12-04 01:40:00

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011totals'
down_revision = '0010scale'
branch_labels = None
depends_on = None

CHANNELS = ("web_form", "email", "phone", "in_person", "letter", "press_article", "press_conference")


def upgrade():
    op.create_table(
        'report_totals',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('ground_id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in (
            'received', 'on_time', 'late', 'open', 'refused', 'withdrawn', *(f"ch_{c}" for c in CHANNELS))],
        sa.PrimaryKeyConstraint('unit_id', 'month', 'type', 'ground_id', name=op.f('pk_report_totals')),
    )
    op.create_table(
        'report_answer_days',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'month', 'days', name=op.f('pk_report_answer_days')),
    )
    _fill(op.get_bind())


def _fill(bind):
    """Count the existing requests (the same code as ``flask reports rebuild-totals``)."""
    from spokes.deadlines.calendar import WorkCalendar
    from spokes.reports.totals import recount

    if not bind.execute(sa.text("SELECT 1 FROM press_requests LIMIT 1")).first():
        return
    kinds = {"day_off": {}, "working_day": {}, "cancelled_day_off": {}}
    for day, kind, reason in bind.execute(sa.text("SELECT day, kind, reason FROM calendar_days")):
        day = day if not isinstance(day, str) else date.fromisoformat(day[:10])
        kinds.setdefault(kind, {})[day] = reason or ""
    calendar = WorkCalendar(extra_days_off=kinds["day_off"], makeup_working_days=kinds["working_day"],
                            cancelled_days_off=kinds["cancelled_day_off"])
    recount(bind, calendar)


def downgrade():
    op.drop_table('report_answer_days')
    op.drop_table('report_totals')
