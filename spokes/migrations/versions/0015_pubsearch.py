"""publication search on a stored vector; feeds read their newest updates from an index

PostgreSQL: each publication stores its search vector (``search_vector``, GIN), kept equal to
its search document by a trigger on search_documents (the same statements as
spokes/core/search.py ``vector_ddl("publication")``), so a search of the news list combines
with its filters and its order instead of checking each matching document's row.

Both databases: ``(updated_at)`` and ``(unit_id, updated_at)`` indexes, which the feeds (the 50
most recently updated items) read from the top instead of sorting every publication.
"""
from alembic import op


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0011pubsearch'
down_revision = '0011explain'

PUBLICATION_VECTOR_DDL = (
    "ALTER TABLE publications ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS ix_publications_search ON publications USING gin (search_vector)",
    """CREATE OR REPLACE FUNCTION spokes_publication_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.object_type = 'publication' THEN
        UPDATE publications SET search_vector = NULL WHERE id = OLD.object_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.object_type = 'publication' THEN
        UPDATE publications SET search_vector = to_tsvector('simple', NEW.body) WHERE id = NEW.object_id;
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS search_documents_publication_vector ON search_documents",
    "CREATE TRIGGER search_documents_publication_vector AFTER INSERT OR UPDATE OR DELETE ON search_documents "
    "FOR EACH ROW EXECUTE FUNCTION spokes_publication_vector()",
)


def upgrade():
    op.create_index('ix_publications_updated', 'publications', ['updated_at'], unique=False)
    op.create_index('ix_publications_unit_updated', 'publications', ['unit_id', 'updated_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PUBLICATION_VECTOR_DDL[0])
        op.execute("UPDATE publications p SET search_vector = to_tsvector('simple', d.body) "
                   "FROM search_documents d WHERE d.object_type = 'publication' AND d.object_id = p.id")
        for statement in PUBLICATION_VECTOR_DDL[1:]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS search_documents_publication_vector ON search_documents")
        op.execute("DROP FUNCTION IF EXISTS spokes_publication_vector()")
        op.execute("DROP INDEX IF EXISTS ix_publications_search")
        op.execute("ALTER TABLE publications DROP COLUMN IF EXISTS search_vector")
    op.drop_index('ix_publications_unit_updated', table_name='publications')
    op.drop_index('ix_publications_updated', table_name='publications')
