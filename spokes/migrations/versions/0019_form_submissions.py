"""single-use form keys: a form sent twice (a double click) issues one letter, logs one request

Each POST of such a form claims the key its page was shown with, in the same transaction as its
work, and notes what the work produced; the unique key makes a second POST of the same page find
the first one's result instead of doing the work again (spokes/core/once.py). A new table, so
nothing to fill: pages shown before the upgrade post without a key and are served as before.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0019formonce'
down_revision = '0018dueorder'


def upgrade():
    op.create_table(
        'form_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('result_url', sa.String(length=500), nullable=True),
        sa.Column('result_label', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_submissions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
        sa.UniqueConstraint('key', name=op.f('uq_form_submissions_key')),
    )
    # The background tick forgets keys older than 30 days without reading the table.
    op.create_index(op.f('ix_form_submissions_created_at'), 'form_submissions', ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_form_submissions_created_at'), table_name='form_submissions')
    op.drop_table('form_submissions')
