"""Accent-insensitive search backed by the database's own full-text index.

Each searchable object has one row in ``search_documents`` whose ``body`` is its folded
text (lower case, no diacritics, đ → d, words separated by single spaces). The words are
indexed by the engine itself:

* SQLite: one contentless FTS5 table per object type, ``search_fts_<type>`` (rowid = object id),
  kept in sync by triggers;
* PostgreSQL: a GIN expression index on ``to_tsvector('simple', body)``; and, for requests and
  publications, a stored ``search_vector`` on their own table (GIN), kept equal to the object's
  document by a trigger on search_documents. Searching the object's own column lets the planner
  combine the word index with the state and unit indexes (a BitmapAnd), or walk the list's
  order and check each row's vector, instead of checking every matching document's row one by
  one, so a search costs what its result costs, not its match count.

Both are created by DDL events below (``db.create_all()`` in tests) and by the hand-written
migrations ``0002_full_text_search`` and ``0003_fts_per_type`` (autogenerate cannot emit them). A query term of three
letters or more matches word prefixes; shorter terms match whole words; all terms must match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import DDL, Index, Integer, String, Text, UniqueConstraint, delete, event, func, insert, literal_column
from sqlalchemy import column, select, table, text, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Select

from spokes.core.db import rowcount
from spokes.core.text import fold
from spokes.extensions import db

MAX_TOKEN = 40
MAX_TERMS = 8
PREFIX_MIN = 3  # shorter terms match whole words only: "de" must not fan out to every "de…" word
FTS_TABLE = "search_fts"
FTS_INDEX = "ix_search_documents_fts"
# Letters and digits only: the same word boundaries as FTS5's unicode61 tokenizer, and
# nothing that could be an operator in an FTS5 or tsquery expression.
_WORD = re.compile(r"[^\W_]+")


class SearchDocument(db.Model):
    """The folded text of one searchable object."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id"),
        # An expression index is only meaningful on PostgreSQL; SQLite uses the FTS5 table.
        Index(FTS_INDEX, text("to_tsvector('simple', body)"), postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)


# SQLite: one contentless FTS5 table per object type, whose rowid IS the object's id, so
# ``Model.id IN (SELECT rowid FROM search_fts_<type> WHERE … MATCH …)`` needs no join back
# to search_documents (that join was most of a broad search's cost at 200,000 requests).
# Triggers mirror every change of search_documents into the table of its type; a
# contentless table deletes by the old values, which the triggers have.
FTS_TYPES = ("request", "publication")


def fts_table(object_type: str) -> str:
    """Return the SQLite full-text table of an object type."""
    if object_type not in FTS_TYPES:
        raise ValueError(f"no full-text table for {object_type!r}; add it to FTS_TYPES and a migration")
    return f"{FTS_TABLE}_{object_type}"


def _fts_insert_trigger(object_type: str) -> str:
    fts = fts_table(object_type)
    return (f"CREATE TRIGGER IF NOT EXISTS search_documents_ai_{object_type} AFTER INSERT ON search_documents "
            f"WHEN new.object_type = '{object_type}' BEGIN "
            f"INSERT INTO {fts}(rowid, body) VALUES (new.object_id, new.body); END")


def sqlite_fts_ddl(object_type: str) -> tuple[str, ...]:
    """Return the statements that create the full-text table and triggers of one object type."""
    fts = fts_table(object_type)
    delete_old = f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.object_id, old.body);"
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(body, content='', "
        "tokenize='unicode61 remove_diacritics 2')",
        _fts_insert_trigger(object_type),
        f"CREATE TRIGGER IF NOT EXISTS search_documents_ad_{object_type} AFTER DELETE ON search_documents "
        f"WHEN old.object_type = '{object_type}' BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS search_documents_au_{object_type} AFTER UPDATE ON search_documents "
        f"WHEN old.object_type = '{object_type}' BEGIN {delete_old} "
        f"INSERT INTO {fts}(rowid, body) VALUES (new.object_id, new.body); END",
    )


for _type in FTS_TYPES:
    for _statement in sqlite_fts_ddl(_type):
        event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
    # Dropping search_documents drops its triggers, but the virtual tables would survive it.
    event.listen(SearchDocument.__table__, "before_drop",
                 DDL(f"DROP TABLE IF EXISTS {fts_table(_type)}").execute_if(dialect="sqlite"))


# PostgreSQL: the stored vector of each request and each publication (see the module
# docstring), written from the folded document by a trigger. The same statements are in
# migrations 0010_scale (requests) and 0015_pubsearch (publications): a migration may not
# import app code.
VECTOR_TABLES = {"request": "press_requests", "publication": "publications"}


def vector_ddl(object_type: str) -> tuple[str, ...]:
    """Return the PostgreSQL statements giving an object type's table its stored search vector."""
    table_ = VECTOR_TABLES[object_type]
    return (
        f"ALTER TABLE {table_} ADD COLUMN IF NOT EXISTS search_vector tsvector",
        f"CREATE INDEX IF NOT EXISTS ix_{table_}_search ON {table_} USING gin (search_vector)",
        f"""CREATE OR REPLACE FUNCTION spokes_{object_type}_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.object_type = '{object_type}' THEN
        UPDATE {table_} SET search_vector = NULL WHERE id = OLD.object_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.object_type = '{object_type}' THEN
        UPDATE {table_} SET search_vector = to_tsvector('simple', NEW.body) WHERE id = NEW.object_id;
    END IF;
    RETURN NULL;
END $$""",
        f"DROP TRIGGER IF EXISTS search_documents_{object_type}_vector ON search_documents",
        f"CREATE TRIGGER search_documents_{object_type}_vector AFTER INSERT OR UPDATE OR DELETE ON search_documents "
        f"FOR EACH ROW EXECUTE FUNCTION spokes_{object_type}_vector()",
    )


REQUEST_VECTOR_DDL = (
    *vector_ddl("request")[:2],
    # Open requests are what the queue searches by default: a small word index of their own.
    "CREATE INDEX IF NOT EXISTS ix_press_requests_search_open ON press_requests USING gin (search_vector) "
    "WHERE state IN ('received', 'assigned', 'drafting', 'awaiting_approval')",
    *vector_ddl("request")[2:],
)
VECTOR_INDEXES = ("ix_press_requests_search", "ix_press_requests_search_open", "ix_publications_search")

for _statement in (*REQUEST_VECTOR_DDL, *vector_ddl("publication")):
    # After every table exists: the column belongs to the object's table, the trigger to search_documents.
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def tokens_for(*texts: str | None) -> set[str]:
    """Return the distinct folded words of the given texts."""
    words: set[str] = set()
    for text_ in texts:
        for word in fold(text_).replace("/", " ").replace("-", " ").split():
            word = word.strip(".,;:!?()[]\"'“”«»")
            if word:
                words.add(word[:MAX_TOKEN])
    return words


def document_body(*texts: str | None) -> str:
    """Return the indexed body of an object: its folded words, space-separated."""
    return " ".join(word for text_ in texts for word in _WORD.findall(fold(text_)))


def index_object(object_type: str, object_id: int, texts: Iterable[str | None], *, replace: bool = True) -> None:
    """(Re)write the search document of one object in the current transaction.

    With ``replace=False`` the texts are appended to the existing document. An object
    with no text left (e.g. a withdrawn item) loses its document and is no longer found.
    """
    fts_table(object_type)  # refuse a type no full-text table would index
    body = document_body(*texts)
    where = (SearchDocument.object_type == object_type, SearchDocument.object_id == object_id)
    if not replace:
        existing = db.session.execute(select(SearchDocument.body).where(*where)).scalar_one_or_none()
        body = " ".join(part for part in (existing, body) if part)
    if not body:
        db.session.execute(delete(SearchDocument).where(*where))
        return
    # Update in place first: a delete + insert would churn the full-text index twice.
    if rowcount(db.session.execute(update(SearchDocument).where(*where).values(body=body))) == 0:
        db.session.execute(insert(SearchDocument).values(object_type=object_type, object_id=object_id, body=body))


def search_terms(query: str) -> list[str]:
    """Return the distinct folded words of a query (at most MAX_TERMS); empty when it has none to match."""
    terms: list[str] = []
    for word in _WORD.findall(fold(query)):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _fts5_query(terms: list[str]) -> str:
    # Each term is a quoted FTS5 string (quotes doubled, though _WORD never lets one through).
    parts = ['"' + t.replace('"', '""') + '"' + ("*" if len(t) >= PREFIX_MIN else "") for t in terms]
    return " AND ".join(parts)


def _tsquery(terms: list[str]) -> str:
    parts = [re.sub(r"[^\w]|_", "", t) + (":*" if len(t) >= PREFIX_MIN else "") for t in terms]
    return " & ".join(p for p in parts if p and p != ":*")


def matching_ids(object_type: str, query: str) -> Select | None:
    """Return a SELECT of object ids matching every term of the query, or None for an empty query.

    Terms of three letters or more match word prefixes ("phat" finds "phát", "phattrien"…);
    shorter terms match whole words. The full-text index finds the documents; the result
    is meant for ``Model.id.in_(...)``.
    """
    fts = fts_table(object_type)  # an unknown type is a programming error on every database
    terms = search_terms(query)
    if not terms:
        return None
    stmt = select(SearchDocument.object_id).where(SearchDocument.object_type == object_type)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # A literal 'simple' (not a bound parameter) so the expression equals the index's.
        simple = literal_column("'simple'")
        return stmt.where(func.to_tsvector(simple, SearchDocument.body).op("@@")(func.to_tsquery(simple, _tsquery(terms))))
    return (select(literal_column("rowid")).select_from(table(fts))
            .where(literal_column(fts).op("MATCH")(_fts5_query(terms))))


def joined_to_matches(stmt: Select, object_type: str, query: str, id_column: Any) -> Select | None:
    """Return ``stmt`` joined to the full-text table's matches on ``id_column`` (SQLite), or None without terms.

    The same matching as ``matching_ids``, read the other way round: SQLite's planner then walks
    the index's matches and looks each row up, so a capped count (``… LIMIT N``) stops after N
    matches. ``id IN (matching ids)`` first gathers every match (all 200,000 requests for the
    words "thông tin" at that size: about 40 ms for a count of 1,001 against 12 ms this way).
    A count only: the rows come in the index's order, not the list's.
    """
    terms = search_terms(query)
    if not terms:
        return None
    fts = fts_table(object_type)
    matches = table(fts, column("rowid"))
    return (stmt.join(matches, matches.c.rowid == id_column)
            .where(literal_column(fts).op("MATCH")(_fts5_query(terms))))


def matching_condition(object_type: str, query: str, id_column: Any) -> Any:
    """Return a WHERE condition for rows whose id (``id_column``) matches every term, or None.

    Same matching as ``matching_ids``. On PostgreSQL, requests and publications are matched on
    their own stored vector (``<table>.search_vector @@ query``), which the planner can combine
    with the other filters' indexes and with the list's order; elsewhere (SQLite: FTS5) the
    condition is ``id IN (matching ids)``. Count a search's pages with
    ``core.pagination.paginate_counted(…, exact_up_to=SEARCH_EXACT_UP_TO, estimate=False)``.
    """
    if not search_terms(query):
        return None
    if object_type in VECTOR_TABLES and db.session.get_bind().dialect.name == "postgresql":
        return vector_matches(stored_vector(object_type), query)
    return id_column.in_(matching_ids(object_type, query))


def stored_vector(object_type: str) -> Any:
    """Return the stored search vector column of an object type's table (PostgreSQL)."""
    return literal_column(f"{VECTOR_TABLES[object_type]}.search_vector")


def vector_matches(vector: Any, query: str) -> Any:
    """Return ``vector @@ query`` (PostgreSQL; the matching of ``matching_ids``), or None without terms.

    ``vector`` may be a stored vector column or one selected through a subquery, which lets a
    list test the words of a bounded stretch of its rows read in order.
    """
    terms = search_terms(query)
    if not terms:
        return None
    return vector.op("@@")(func.to_tsquery(literal_column("'simple'"), _tsquery(terms)))


def migration_filters(dialect_name: str) -> dict[str, Callable[..., bool]]:
    """Return Alembic ``include_name``/``include_object`` hooks for autogenerate and schema checks.

    The FTS5 virtual table and its shadow tables are created by a hand-written migration,
    and an index declared with ``ddl_if(dialect=…)`` only exists on that dialect.
    """

    def include_name(name: str | None, type_: str, _parent: dict[str, Any]) -> bool:
        return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))

    def include_object(obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
            return False
        # The stored search vectors are PostgreSQL DDL outside the models (vector_ddl).
        if (type_ == "column" and name == "search_vector") or \
                (type_ == "index" and name in VECTOR_INDEXES):
            return False
        ddl_if = getattr(obj, "_ddl_if", None)
        if ddl_if is not None and ddl_if.dialect is not None:
            dialects = {ddl_if.dialect} if isinstance(ddl_if.dialect, str) else set(ddl_if.dialect)
            return dialect_name in dialects
        return True

    return {"include_name": include_name, "include_object": include_object}


def pause_index_sync() -> None:
    """Stop mirroring inserts into the SQLite full-text table, before a bulk load.

    Call ``rebuild_index()`` after the load: one rebuild is faster than a trigger per row.
    PostgreSQL: the triggers that copy documents into the tables' ``search_vector`` are
    disabled the same way (their word indexes are maintained by the engine).
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        for object_type in FTS_TYPES:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS search_documents_ai_{object_type}"))
    elif dialect == "postgresql":
        _vector_triggers("DISABLE")


def rebuild_index() -> None:
    """Rebuild the SQLite full-text tables (PostgreSQL: the stored vectors) and restore the triggers."""
    if db.session.get_bind().dialect.name == "postgresql":
        for object_type, table_ in VECTOR_TABLES.items():
            db.session.execute(text(f"UPDATE {table_} t SET search_vector = to_tsvector('simple', d.body) "
                                    "FROM search_documents d WHERE d.object_type = :object_type AND d.object_id = t.id"),
                               {"object_type": object_type})
    if db.session.get_bind().dialect.name == "sqlite":
        for object_type in FTS_TYPES:
            fts = fts_table(object_type)
            db.session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))
            db.session.execute(text(f"INSERT INTO {fts}(rowid, body) SELECT object_id, body FROM search_documents "
                                    "WHERE object_type = :object_type"), {"object_type": object_type})
    resume_index_sync()


def resume_index_sync() -> None:
    """Restore the triggers ``pause_index_sync()`` stopped, without rebuilding anything.

    Only for a bulk load that wrote the full-text rows itself (PostgreSQL: each object's
    ``search_vector`` equal to ``to_tsvector('simple', body)`` of its document); otherwise
    call ``rebuild_index()``.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        _vector_triggers("ENABLE")
    elif dialect == "sqlite":
        for object_type in FTS_TYPES:
            db.session.execute(text(_fts_insert_trigger(object_type)))


def _vector_triggers(action: str) -> None:
    """ENABLE or DISABLE the PostgreSQL triggers that copy documents into the stored vectors."""
    for object_type in VECTOR_TABLES:
        db.session.execute(text(f"ALTER TABLE search_documents {action} TRIGGER search_documents_{object_type}_vector"))
