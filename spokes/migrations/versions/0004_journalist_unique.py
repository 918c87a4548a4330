"""one journalist row per (e-mail, name)

Two servers taking the first question of the same journalist at the same moment could
both insert the journalist. Duplicates already made are merged into the oldest row (their
requests move to it) before the unique index replaces the plain e-mail index.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0004journalistunique'
down_revision = '0003ftspertype'


def upgrade():
    conn = op.get_bind()
    duplicates = conn.execute(sa.text(
        "SELECT email, name, MIN(id) FROM journalists WHERE email IS NOT NULL "
        "GROUP BY email, name HAVING COUNT(*) > 1")).all()
    for email, name, keep in duplicates:
        params = {"email": email, "name": name, "keep": keep}
        conn.execute(sa.text(
            "UPDATE press_requests SET journalist_id = :keep WHERE journalist_id IN "
            "(SELECT id FROM journalists WHERE email = :email AND name = :name AND id <> :keep)"), params)
        conn.execute(sa.text("DELETE FROM journalists WHERE email = :email AND name = :name AND id <> :keep"), params)
    with op.batch_alter_table('journalists', schema=None) as batch_op:
        batch_op.drop_index('ix_journalists_email')
        batch_op.create_index('uq_journalists_email_name', ['email', 'name'], unique=True)


def downgrade():
    with op.batch_alter_table('journalists', schema=None) as batch_op:
        batch_op.drop_index('uq_journalists_email_name')
        batch_op.create_index('ix_journalists_email', ['email'], unique=False)
