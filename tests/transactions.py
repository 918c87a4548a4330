"""One connection per test: every ``db.session`` bound to it, the app's commits made savepoints.

Kept out of ``conftest.py`` on purpose: pytest imports that file as ``conftest`` while test
modules import ``tests.conftest``, two module objects; the state below must exist once.
See ``tests/conftest.py`` for how the suite uses it.
"""

from __future__ import annotations

import threading
from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import Connection, Engine

from spokes.extensions import db


class _Shared:
    """The connection every session of the running test is bound to (None: real commits)."""

    connection: Connection | None = None
    thread: int | None = None


class TestSession(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the test's connection while one is shared.

    Flask-SQLAlchemy picks the engine of the current app itself and ignores ``bind``, so the
    shared connection is handed out here, for any app on the test database (an app on another
    database, e.g. a dead server, keeps its own engine).
    """

    __test__ = False  # not a test class, whatever its name

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        """Return the shared connection for the test database, else what Flask-SQLAlchemy picks."""
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        shared = _Shared.connection
        if shared is None or bind is not None or not isinstance(chosen, Engine) or chosen.url != shared.engine.url:
            return chosen
        if threading.get_ident() != _Shared.thread:
            raise RuntimeError("this test uses the database from another thread: mark it "
                               "@pytest.mark.real_commits (one connection cannot serve two threads)")
        return shared


# Every db.session is made by this factory (Flask-SQLAlchemy's sessionmaker), whatever the app.
db.session.session_factory.class_ = TestSession
db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"


def share_connection(engine: Engine) -> Connection:
    """Open a connection with an outer transaction and bind every test session to it."""
    assert _Shared.connection is None, "a connection is already shared"
    connection = engine.connect()
    connection.begin()
    _Shared.connection, _Shared.thread = connection, threading.get_ident()
    return connection


def unshare_connection(connection: Connection) -> None:
    """Roll back everything the test did and close the shared connection."""
    # Sessions of other apps on the same connection (other_app) must not outlive it.
    for session in list(db.session.registry.registry.values()):
        session.close()
    _Shared.connection = _Shared.thread = None
    try:
        connection.rollback()
    finally:
        connection.close()
