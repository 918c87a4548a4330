"""national scale: background work proportional to what is due

``press_requests.next_alert_at`` holds when the periodic job next has something to do for an
open request (partial index: only rows that have one). Open requests are backfilled with their
receipt time, so the first tick after the upgrade looks at each once and stores the exact
moment. A partial index on notifications neither e-mailed nor read feeds the digests.

PostgreSQL: each request also stores its search vector (``search_vector``, GIN), kept equal to
its search document by a trigger on search_documents (the same statements as
spokes/core/search.py REQUEST_VECTOR_DDL), so a search combines with the state and unit indexes.
"""
from alembic import op
import sqlalchemy as sa


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0010scale'
down_revision = '0010mailin'

OPEN = "('received', 'assigned', 'drafting', 'awaiting_approval')"


REQUEST_VECTOR_DDL = (
    "ALTER TABLE press_requests ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS ix_press_requests_search ON press_requests USING gin (search_vector)",
    # Open requests are what the queue searches by default: a small word index of their own.
    "CREATE INDEX IF NOT EXISTS ix_press_requests_search_open ON press_requests USING gin (search_vector) "
    "WHERE state IN ('received', 'assigned', 'drafting', 'awaiting_approval')",
    """CREATE OR REPLACE FUNCTION spokes_request_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.object_type = 'request' THEN
        UPDATE press_requests SET search_vector = NULL WHERE id = OLD.object_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.object_type = 'request' THEN
        UPDATE press_requests SET search_vector = to_tsvector('simple', NEW.body) WHERE id = NEW.object_id;
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS search_documents_request_vector ON search_documents",
    "CREATE TRIGGER search_documents_request_vector AFTER INSERT OR UPDATE OR DELETE ON search_documents "
    "FOR EACH ROW EXECUTE FUNCTION spokes_request_vector()",
)


def upgrade():
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_alert_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE press_requests SET next_alert_at = received_at WHERE state IN {OPEN}")
    op.create_index('ix_press_requests_next_alert', 'press_requests', ['next_alert_at', 'id'], unique=False,
                    postgresql_where=sa.text('next_alert_at IS NOT NULL'),
                    sqlite_where=sa.text('next_alert_at IS NOT NULL'))
    op.create_index('ix_press_requests_open_due', 'press_requests', ['due_at', 'id'], unique=False,
                    postgresql_where=sa.text(f"state IN {OPEN}"), sqlite_where=sa.text(f"state IN {OPEN}"))
    op.create_index('ix_notifications_unsent', 'notifications', ['user_id', 'created_at'], unique=False,
                    postgresql_where=sa.text('emailed_at IS NULL AND read_at IS NULL'),
                    sqlite_where=sa.text('emailed_at IS NULL AND read_at IS NULL'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REQUEST_VECTOR_DDL[0])
        op.execute("UPDATE press_requests p SET search_vector = to_tsvector('simple', d.body) "
                   "FROM search_documents d WHERE d.object_type = 'request' AND d.object_id = p.id")
        for statement in REQUEST_VECTOR_DDL[1:]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS search_documents_request_vector ON search_documents")
        op.execute("DROP FUNCTION IF EXISTS spokes_request_vector()")
        op.execute("DROP INDEX IF EXISTS ix_press_requests_search_open")
        op.execute("DROP INDEX IF EXISTS ix_press_requests_search")
        op.execute("ALTER TABLE press_requests DROP COLUMN IF EXISTS search_vector")
    op.drop_index('ix_notifications_unsent', table_name='notifications')
    op.drop_index('ix_press_requests_next_alert', table_name='press_requests')
    op.drop_index('ix_press_requests_open_due', table_name='press_requests')
    with op.batch_alter_table('press_requests', schema=None) as batch_op:
        batch_op.drop_column('next_alert_at')
