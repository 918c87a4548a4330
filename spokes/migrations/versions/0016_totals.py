"""reports from running totals

``report_totals`` holds request counts per unit, Vietnamese month of receipt, type and refusal
ground (outcomes and channels as columns); ``report_answer_days`` the answered requests per
unit, month and working days taken. Both are filled from the existing requests right after the
upgrade, once the schema is at head (spokes/migrations/env.py: app code counts working days with
the calendar, and migration files stay free of app code).
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0011totals'
down_revision = '0011pubsearch'

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


def downgrade():
    op.drop_table('report_answer_days')
    op.drop_table('report_totals')
