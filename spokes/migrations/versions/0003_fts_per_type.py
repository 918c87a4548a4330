"""one contentless SQLite full-text table per object type

The single external-content table indexed search_documents rows, so every search
joined 20,000+ hits back to search_documents to learn their object ids. Each type now
has its own contentless FTS5 table whose rowid is the object's id. PostgreSQL is
unchanged (its GIN index already answers per type). The SQL mirrors
``sqlite_fts_ddl`` in the search module (migrations must not import application code).
"""
from alembic import op


# Where this revision stands in the chain (Alembic reads these two names).
revision = '0003ftspertype'
down_revision = '0002fulltext'

TYPES = ("request", "publication")
OLD_TRIGGERS = ("search_documents_ai", "search_documents_ad", "search_documents_au")


def _per_type(object_type):
    fts = f"search_fts_{object_type}"
    delete_old = f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.object_id, old.body);"
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(body, content='', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS search_documents_ai_{object_type} AFTER INSERT ON search_documents "
        f"WHEN new.object_type = '{object_type}' BEGIN "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.object_id, new.body); END",
        f"CREATE TRIGGER IF NOT EXISTS search_documents_ad_{object_type} AFTER DELETE ON search_documents "
        f"WHEN old.object_type = '{object_type}' BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS search_documents_au_{object_type} AFTER UPDATE ON search_documents "
        f"WHEN old.object_type = '{object_type}' BEGIN {delete_old} "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.object_id, new.body); END",
        f"INSERT INTO {fts}(rowid, body) SELECT object_id, body FROM search_documents "
        f"WHERE object_type = '{object_type}'",
    )


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")
    for object_type in TYPES:
        for statement in _per_type(object_type):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for object_type in TYPES:
        for kind in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_{kind}_{object_type}")
        op.execute(f"DROP TABLE IF EXISTS search_fts_{object_type}")
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, content='search_documents', "
               "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    op.execute("CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN "
               "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
    op.execute("CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN "
               "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
               "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END")
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
