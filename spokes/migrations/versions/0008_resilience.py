"""a version counter on press requests (one writer per request)

Every workflow change bumps it; action forms carry the version their page showed, so an
action taken on a page that another person's change made stale is refused with 409.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0008resilience'
down_revision = '0007trust'


def upgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.drop_column('version')
