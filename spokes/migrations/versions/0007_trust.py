"""trust: contact details per request, session generation per user

The name, agency, e-mail, phone, card and consent given with a request are stored on it,
so a later submission never changes them; existing requests copy them from their journalist
row (consent included, as it was shown until now). Users get a session generation that
logout and "sign out everywhere" raise, revoking every older session and remember-me cookie.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0007trust'
down_revision = '0006demo'


def upgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('contact_agency', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('contact_card_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('contact_card_expiry', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_publish_name', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    # Existing requests: the details their journalist row holds now are the best record left.
    op.execute(sa.text(
        "UPDATE press_requests SET "
        "contact_name = (SELECT j.name FROM journalists j WHERE j.id = press_requests.journalist_id), "
        "contact_agency = (SELECT a.name FROM journalists j JOIN press_agencies a ON a.id = j.agency_id "
        "WHERE j.id = press_requests.journalist_id), "
        "contact_email = (SELECT j.email FROM journalists j WHERE j.id = press_requests.journalist_id), "
        "contact_phone = (SELECT j.phone FROM journalists j WHERE j.id = press_requests.journalist_id), "
        "contact_card_number = (SELECT j.press_card_number FROM journalists j WHERE j.id = press_requests.journalist_id), "
        "contact_card_expiry = (SELECT j.press_card_expiry FROM journalists j WHERE j.id = press_requests.journalist_id), "
        "consent_publish_name = COALESCE((SELECT j.consent_publish_name FROM journalists j "
        "WHERE j.id = press_requests.journalist_id), consent_publish_name) "
        "WHERE journalist_id IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.drop_column('consent_publish_name')
        batch_op.drop_column('contact_card_expiry')
        batch_op.drop_column('contact_card_number')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_agency')
        batch_op.drop_column('contact_name')
