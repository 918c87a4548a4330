"""reports: transfers and publications per unit and month in running totals; overdue from an index

``report_unit_months`` holds, per unit and Vietnamese month, the transfers made out of the unit
and its publications published that month and not withdrawn; ``transfers.is_repeat`` marks
every transfer of a request but its first, with a partial index, so a report can count each
transferred request once without reading every transfer. Both are filled from the existing rows
here (plain SQL: these are counts, no calendar involved). A partial index of open requests by
(unit, due time, receipt) lets a report count its units' overdue ones without reading the table.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0017flowtotals'
down_revision = '0011totals'


def vn_month(column, dialect):
    """Return the SQL of the first day of the Vietnamese month of a UTC timestamp column.

    The same expressions as the app's ``vn_month`` (spokes/reports/totals.py): PostgreSQL
    converts with the time-zone database; SQLite adds the fixed +07:00 Vietnam has kept since 1975.
    """
    if dialect == 'postgresql':
        return f"CAST(date_trunc('month', {column} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)"
    return f"date({column}, '+7 hours', 'start of month')"


OPEN = "state IN ('received', 'assigned', 'drafting', 'awaiting_approval')"


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_index('ix_press_requests_open_unit_due', 'press_requests', ['unit_id', 'due_at', 'received_at'],
                    unique=False, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_repeat', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE transfers SET is_repeat = (EXISTS (SELECT 1 FROM transfers earlier "
               "WHERE earlier.request_id = transfers.request_id AND earlier.id < transfers.id))")
    op.create_index('ix_transfers_repeat', 'transfers', ['created_at', 'request_id'], unique=False,
                    postgresql_where=sa.text('is_repeat'), sqlite_where=sa.text('is_repeat = 1'))
    op.create_table(
        'report_unit_months',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('transferred', sa.Integer(), nullable=False),
        sa.Column('published', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('unit_id', 'month', name=op.f('pk_report_unit_months')),
    )
    made, published = vn_month('created_at', dialect), vn_month('published_at', dialect)
    op.execute(
        "INSERT INTO report_unit_months (unit_id, month, transferred, published) "
        "SELECT unit_id, month, SUM(transferred), SUM(published) FROM ("
        f"SELECT from_unit_id AS unit_id, {made} AS month, 1 AS transferred, 0 AS published FROM transfers "
        "UNION ALL "
        f"SELECT unit_id, {published}, 0, 1 FROM publications WHERE withdrawn_at IS NULL"
        ") AS flows GROUP BY unit_id, month"
    )


def downgrade():
    op.drop_table('report_unit_months')
    op.drop_index('ix_transfers_repeat', table_name='transfers')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_column('is_repeat')
    op.drop_index('ix_press_requests_open_unit_due', table_name='press_requests')
