"""requests by e-mail: unit mailboxes, fetched messages, the outbox's request

A mailbox row holds the fetch progress (UIDVALIDITY, last UID) and a lease; credentials stay in the config.
Each fetched message is filed once (unique per mailbox, UIDVALIDITY and UID). An outbox mail names its request
so its conversation headers can be built and replies threaded.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0010mailin'
down_revision = '0010conference'


def upgrade():
    op.create_table('mailin_mailboxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_fetch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_mailin_mailboxes_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailin_mailboxes')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_mailin_mailboxes_unit_id'))
    )
    op.create_table('mailin_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('from_address', sa.String(length=255), nullable=True),
    sa.Column('from_name', sa.String(length=255), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('press_message_id', sa.Integer(), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.Column('skipped_attachments', sa.JSON(), nullable=False),
    sa.Column('type_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('type_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('new_request', 'follow_up', 'closed_request', 'automatic', 'own', 'duplicate', 'quarantined')", name=op.f('ck_mailin_messages_outcome_valid')),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailin_mailboxes.id'], name=op.f('fk_mailin_messages_mailbox_id_mailin_mailboxes')),
    sa.ForeignKeyConstraint(['press_message_id'], ['messages.id'], name=op.f('fk_mailin_messages_press_message_id_messages')),
    sa.ForeignKeyConstraint(['request_id'], ['press_requests.id'], name=op.f('fk_mailin_messages_request_id_press_requests')),
    sa.ForeignKeyConstraint(['type_confirmed_by_id'], ['users.id'], name=op.f('fk_mailin_messages_type_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_mailin_messages_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailin_messages')),
    sa.UniqueConstraint('mailbox_id', 'uidvalidity', 'uid', name='uq_mailin_messages_uid')
    )
    with op.batch_alter_table('mailin_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mailin_messages_message_id', ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailin_messages_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_mailin_messages_unit_outcome', ['unit_id', 'outcome', 'id'], unique=False)

    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_mails_request_id'), ['request_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mails_request_id_press_requests'), 'press_requests', ['request_id'], ['id'])



def downgrade():
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_mails_request_id_press_requests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_mails_request_id'))
        batch_op.drop_column('request_id')

    with op.batch_alter_table('mailin_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mailin_messages_unit_outcome')
        batch_op.drop_index(batch_op.f('ix_mailin_messages_request_id'))
        batch_op.drop_index('ix_mailin_messages_message_id')

    op.drop_table('mailin_messages')
    op.drop_table('mailin_mailboxes')
