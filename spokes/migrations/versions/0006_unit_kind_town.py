"""unit kind "town" (thị trấn), kept for history

The 2025 reform abolished districts and towns. Merged units keep their kind, so the
list of kinds gains "town" beside "district"; the CHECK constraint follows the model.

Revision ID: 0006demo
Revises: 0005law
Create Date: 2026-12-03 16:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006demo'
down_revision = '0005law'
branch_labels = None
depends_on = None

OLD = "kind IN ('province', 'department', 'district', 'commune', 'ward', 'special_zone', 'hamlet', 'other')"
NEW = "kind IN ('province', 'department', 'commune', 'ward', 'special_zone', 'hamlet', 'other', 'district', 'town')"


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_units_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', NEW)


def downgrade():
    op.execute("UPDATE units SET kind = 'commune' WHERE kind = 'town'")
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_units_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', OLD)
