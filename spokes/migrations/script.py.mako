"""${message}
"""
from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# Where this revision stands in the chain (Alembic reads these two names).
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
