"""press conferences and their notice; designation letters; the sixth form's follow-up

A press conference records what its notice to the press regulator states, when the notice left
and any refusal. Letters may belong to a conference or a designation, and a sixth-form letter
keeps the press agency's milestone to publish and when it did.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0010conference'
down_revision = '0010clock'

OLD_KINDS = "kind IN ('reply', 'refusal', 'acceptance', 'measures', 'conclusion', 'correction')"
NEW_KINDS = ("kind IN ('reply', 'refusal', 'acceptance', 'measures', 'conclusion', 'correction', 'conference', "
             "'designation', 'announcement', 'authorisation')")


def upgrade():
    op.create_table('press_conferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chair_name', sa.String(length=255), nullable=False),
    sa.Column('chair_title', sa.String(length=255), nullable=False),
    sa.Column('invited_outlets', sa.Text(), nullable=False),
    sa.Column('regulator_name', sa.String(length=255), nullable=False),
    sa.Column('regulator_unit_id', sa.Integer(), nullable=True),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.Column('notice_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_sent_via', sa.String(length=120), nullable=True),
    sa.Column('notice_sent_by_id', sa.Integer(), nullable=True),
    sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_document', sa.String(length=120), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('refusal_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_press_conferences_created_by_id_users')),
    sa.ForeignKeyConstraint(['notice_sent_by_id'], ['users.id'], name=op.f('fk_press_conferences_notice_sent_by_id_users')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_press_conferences_publication_id_publications')),
    sa.ForeignKeyConstraint(['refusal_recorded_by_id'], ['users.id'], name=op.f('fk_press_conferences_refusal_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['regulator_unit_id'], ['units.id'], name=op.f('fk_press_conferences_regulator_unit_id_units')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_press_conferences_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_press_conferences'))
    )
    with op.batch_alter_table('press_conferences', schema=None) as batch_op:
        batch_op.create_index('ix_press_conferences_unit_starts', ['unit_id', 'starts_at'], unique=False)

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conference_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('designation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('publication_asks', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('publication_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('publication_rule', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('publication_confidence', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_url', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_letters_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_designation_id'), ['designation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_publication_due_at'), ['publication_due_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_letters_conference_id_press_conferences'), 'press_conferences',
                                    ['conference_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_letters_designation_id_designations'), 'designations',
                                    ['designation_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_letters_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', NEW_KINDS)


def downgrade():
    # The older schema cannot hold the new kinds: their letters go (the register keeps no gap check).
    new = "('conference', 'designation', 'announcement', 'authorisation')"
    op.execute(f"UPDATE letters SET replaces_id = NULL WHERE replaces_id IN (SELECT id FROM letters WHERE kind IN {new})")
    op.execute(f"DELETE FROM letters WHERE kind IN {new}")
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_letters_kind_valid'), type_='check')
        batch_op.create_check_constraint('kind_valid', OLD_KINDS)
        batch_op.drop_constraint(batch_op.f('fk_letters_designation_id_designations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_letters_conference_id_press_conferences'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_letters_publication_due_at'))
        batch_op.drop_index(batch_op.f('ix_letters_designation_id'))
        batch_op.drop_index(batch_op.f('ix_letters_conference_id'))
        for column in ('published_url', 'published_at', 'publication_confidence', 'publication_rule',
                       'publication_due_at', 'publication_asks', 'designation_id', 'conference_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('press_conferences', schema=None) as batch_op:
        batch_op.drop_index('ix_press_conferences_unit_starts')
    op.drop_table('press_conferences')
