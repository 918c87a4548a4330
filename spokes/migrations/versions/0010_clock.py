"""who starts a clock, complaints apart from denunciations, the conclusion milestone, ND 09's six forms

* press_requests.type gains "forwarded_denunciation" (Luật Tố cáo 2018) beside
  "forwarded_complaint" (Luật Khiếu nại 2011); requested_type keeps what the journalist chose
  when a question is logged as information for want of the press agency's document.
* The conclusion of a forwarded complaint or denunciation is recorded (document, summary) and
  its sending to the press agency is tracked (conclusion_sent_at, conclusion_alerts).
* answers.form follows ND 09/2017 Điều 4: "email" is folded into "written" (Điều 4 names a
  written answer and an e-mailed one as one form) and "briefing" is added.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0010clock'
down_revision = '0009letters'

OLD_TYPES = "type IN ('information', 'interview', 'press_answer', 'forwarded_feedback', 'forwarded_complaint', 'emergency')"
NEW_TYPES = ("type IN ('information', 'interview', 'press_answer', 'forwarded_feedback', 'forwarded_complaint', "
             "'forwarded_denunciation', 'emergency')")
OLD_FORMS = "form IN ('written', 'email', 'interview', 'press_conference', 'portal_post', 'correction_request')"
NEW_FORMS = "form IN ('press_conference', 'portal_post', 'interview', 'written', 'briefing', 'correction_request')"


def upgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('conclusion_document', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('conclusion_summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('conclusion_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_press_requests_type_valid'), type_='check')
        batch_op.create_check_constraint('type_valid', NEW_TYPES)
        batch_op.create_index('ix_press_requests_conclusion_due', ['conclusion_due_at'], unique=False)

    # Map the old list of forms before the new constraint: an e-mailed answer is form 4 of Điều 4.
    op.execute("UPDATE answers SET form = 'written' WHERE form = 'email'")
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_answers_form_valid'), type_='check')
        batch_op.create_check_constraint('form_valid', NEW_FORMS)

    op.create_table('conclusion_alerts',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_offset', sa.Integer(), nullable=True),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['press_requests.id'], name=op.f('fk_conclusion_alerts_request_id_press_requests')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_conclusion_alerts'))
    )


def downgrade():
    op.drop_table('conclusion_alerts')
    op.execute("UPDATE answers SET form = 'written' WHERE form = 'briefing'")
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_answers_form_valid'), type_='check')
        batch_op.create_check_constraint('form_valid', OLD_FORMS)
    # A denunciation goes back to the shared type it had before this release.
    op.execute("UPDATE press_requests SET type = 'forwarded_complaint' WHERE type = 'forwarded_denunciation'")
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_press_requests_conclusion_due')
        batch_op.drop_constraint(batch_op.f('ck_press_requests_type_valid'), type_='check')
        batch_op.create_check_constraint('type_valid', OLD_TYPES)
        batch_op.drop_column('conclusion_sent_at')
        batch_op.drop_column('conclusion_summary')
        batch_op.drop_column('conclusion_document')
        batch_op.drop_column('requested_type')
