"""national scale: background work proportional to what is due

``press_requests.next_alert_at`` holds when the periodic job next has something to do for an
open request (partial index: only rows that have one). Open requests are backfilled with their
receipt time, so the first tick after the upgrade looks at each once and stores the exact
moment. A partial index on notifications neither e-mailed nor read feeds the digests.

Revision ID: 0010scale
Revises: 0009letters
Create Date: 2026-12-03 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010scale'
down_revision = '0009letters'
branch_labels = None
depends_on = None

OPEN = "('received', 'assigned', 'drafting', 'awaiting_approval')"


def upgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_alert_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE press_requests SET next_alert_at = received_at WHERE state IN {OPEN}")
    op.create_index('ix_press_requests_next_alert', 'press_requests', ['next_alert_at', 'id'], unique=False,
                    postgresql_where=sa.text('next_alert_at IS NOT NULL'),
                    sqlite_where=sa.text('next_alert_at IS NOT NULL'))
    op.create_index('ix_notifications_unsent', 'notifications', ['user_id', 'created_at'], unique=False,
                    postgresql_where=sa.text('emailed_at IS NULL AND read_at IS NULL'),
                    sqlite_where=sa.text('emailed_at IS NULL AND read_at IS NULL'))


def downgrade():
    op.drop_index('ix_notifications_unsent', table_name='notifications')
    op.drop_index('ix_press_requests_next_alert', table_name='press_requests')
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.drop_column('next_alert_at')
