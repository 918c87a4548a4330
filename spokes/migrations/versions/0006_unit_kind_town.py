"""unit kind "town" (thị trấn), kept for history

The 2025 reform abolished districts and towns. Merged units keep their kind, so the
list of kinds gains "town" beside "district"; the CHECK constraint follows the model.
"""
from alembic import op


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0006demo'
down_revision = '0005law'

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
