"""the law ships with the code: shipped-law snapshots, statutory flag, layers, official calendar

Adds what `rulebooks sync` needs to install the shipped rulebooks and the official working
calendar without undoing an admin's edits: a snapshot table of what was last installed, the
statutory/internal flag of each rule, the unit subtree of a provincial layer, and the
document and source of each calendar day (with a new kind, a cancelled day off), and whether
an interviewee consented to answer questions not sent in advance.

The data itself is not written here: once the schema is at head, migrations/env.py runs the
shipped-law sync, so `db upgrade` alone leaves a database with every shipped rulebook, rule,
refusal ground and calendar day, and a later release's changes arrive the same way.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0005law'
down_revision = '0004journalistunique'


def upgrade():
    op.create_table('shipped_law_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipped_law_items')),
    sa.UniqueConstraint('key', name=op.f('uq_shipped_law_items_key'))
    )
    with op.batch_alter_table('rulebooks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope_unit_code', sa.String(length=40), nullable=True))
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statutory', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interviewee_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='admin', nullable=False))
        batch_op.drop_constraint(op.f('ck_calendar_days_kind_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_calendar_days_kind_valid'), "kind IN ('day_off', 'working_day', 'cancelled_day_off')")
        batch_op.create_check_constraint(op.f('ck_calendar_days_source_valid'), "source IN ('shipped', 'admin')")


def downgrade():
    op.execute("DELETE FROM calendar_days WHERE kind = 'cancelled_day_off'")
    with op.batch_alter_table('calendar_days', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_calendar_days_source_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_calendar_days_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_calendar_days_kind_valid'), "kind IN ('day_off', 'working_day')")
        batch_op.drop_column('source')
        batch_op.drop_column('document')
    # Rules and rulebooks are referenced by stored requests: SQLite (3.35+) drops the column in
    # place rather than copying the table, which its foreign keys would refuse.
    op.drop_column('answers', 'interviewee_consent')
    op.drop_column('rules', 'statutory')
    op.drop_column('rulebooks', 'scope_unit_code')
    op.drop_table('shipped_law_items')
