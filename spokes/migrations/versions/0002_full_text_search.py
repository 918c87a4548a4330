"""full-text search indexes on search_documents

Autogenerate cannot emit these objects, so they are written by hand:
SQLite gets an FTS5 external-content table with sync triggers, PostgreSQL a GIN
expression index on to_tsvector('simple', body). The SQL mirrors the DDL events of
the search module (migrations must not import application code).
"""
from alembic import op


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0002fulltext'
down_revision = '0001initial'

SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, content='search_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    # Index whatever rows already exist.
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_fts",
)
POSTGRESQL_UP = (
    "CREATE INDEX IF NOT EXISTS ix_search_documents_fts ON search_documents "
    "USING gin (to_tsvector('simple', body))",
)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_search_documents_fts",)


def _run(by_dialect):
    for statement in by_dialect.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def upgrade():
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade():
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})
