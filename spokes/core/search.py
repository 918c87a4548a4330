"""Accent-insensitive search backed by an index of folded word tokens.

Each searchable object stores its folded words in ``search_tokens``. A query term matches
words that start with it, as an index range scan (``token >= t AND token < t + U+FFFF``),
which works the same way on SQLite and PostgreSQL and never scans the big tables.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ForeignKey, Index, Integer, String, delete, intersect, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Select

from spokes.core.text import fold
from spokes.extensions import db

MAX_TOKEN = 40


class SearchToken(db.Model):
    """A folded word of a searchable object."""

    __tablename__ = "search_tokens"
    __table_args__ = (Index("ix_search_tokens_lookup", "object_type", "token", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer, index=True)
    # Binary ("C") collation on PostgreSQL so the range scan orders like Python strings.
    token: Mapped[str] = mapped_column(String(MAX_TOKEN).with_variant(String(MAX_TOKEN, collation="C"), "postgresql"))


def tokens_for(*texts: str | None) -> set[str]:
    """Return the distinct folded words of the given texts."""
    words: set[str] = set()
    for text in texts:
        for word in fold(text).replace("/", " ").replace("-", " ").split():
            word = word.strip(".,;:!?()[]\"'“”«»")
            if word:
                words.add(word[:MAX_TOKEN])
    return words


def index_object(object_type: str, object_id: int, texts: Iterable[str | None], *, replace: bool = True) -> None:
    """(Re)write the search tokens of one object in the current transaction."""
    if replace:
        db.session.execute(
            delete(SearchToken).where(SearchToken.object_type == object_type, SearchToken.object_id == object_id)
        )
    db.session.add_all(
        SearchToken(object_type=object_type, object_id=object_id, token=t) for t in sorted(tokens_for(*texts))
    )


def matching_ids(object_type: str, query: str) -> Select | None:
    """Return a SELECT of object ids matching every term of the query (prefix match), or None."""
    terms = sorted(tokens_for(query))[:8]
    if not terms:
        return None
    subs = [
        select(SearchToken.object_id).where(
            SearchToken.object_type == object_type,
            SearchToken.token >= term,
            SearchToken.token < term + "\uffff",
        )
        for term in terms
    ]
    # One INTERSECT of all terms: a compound select has no .intersect() to chain a third term on.
    return subs[0] if len(subs) == 1 else intersect(*subs)  # type: ignore[return-value]
