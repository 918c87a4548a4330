"""official letters: the register of outgoing documents

A counter per (unit, year) gives letter numbers; each issued letter keeps its DOCX.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0009letters'
down_revision = '0008resilience'


def upgrade():
    op.create_table('letter_register_counters',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_letter_register_counters_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'year', name=op.f('pk_letter_register_counters'))
    )
    op.create_table('letter_settings',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('place_name', sa.String(length=120), nullable=False),
    sa.Column('template_docx', sa.LargeBinary(), nullable=True),
    sa.Column('template_name', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_letter_settings_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_letter_settings'))
    )
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('copies_to', sa.Text(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('signer_name', sa.String(length=255), nullable=False),
    sa.Column('signer_position', sa.String(length=255), nullable=False),
    sa.Column('signer_authority', sa.String(length=255), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('docx', sa.LargeBinary(), nullable=False),
    sa.Column('docx_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf_signer', sa.String(length=500), nullable=True),
    sa.Column('pdf_uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reply', 'refusal', 'acceptance', 'measures', 'conclusion', 'correction')", name=op.f('ck_letters_kind_valid')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_letters_issued_by_id_users')),
    sa.ForeignKeyConstraint(['replaces_id'], ['letters.id'], name=op.f('fk_letters_replaces_id_letters')),
    sa.ForeignKeyConstraint(['request_id'], ['press_requests.id'], name=op.f('fk_letters_request_id_press_requests')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_letters_signer_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_letters_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('unit_id', 'year', 'number', name='uq_letters_unit_year_number')
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_unit_id'), ['unit_id'], unique=False)
    op.create_table('outbox_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['mail_id'], ['outbox_mails.id'], name=op.f('fk_outbox_attachments_mail_id_outbox_mails'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachments_mail_id'), ['mail_id'], unique=False)
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_count', sa.Integer(), nullable=False, server_default='0'))



def downgrade():
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_column('attachment_count')
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_mail_id'))
    op.drop_table('outbox_attachments')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_unit_id'))
        batch_op.drop_index(batch_op.f('ix_letters_request_id'))

    op.drop_table('letters')
    op.drop_table('letter_settings')
    op.drop_table('letter_register_counters')
