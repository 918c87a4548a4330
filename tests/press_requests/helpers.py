"""Helpers shared by the request tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from spokes.extensions import db


def count_queries(client: Any, url: str, *, from_scratch: bool = False) -> tuple[int, str]:
    """GET a page (expecting 200); return the number of SQL statements it sent and its text.

    ``from_scratch`` empties the session first: tests share one session with the app, so
    objects a test loaded would otherwise spare the page some of its own loads.
    """
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    if from_scratch:
        db.session.commit()
        db.session.expunge_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)
