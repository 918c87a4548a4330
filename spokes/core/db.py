"""Database plumbing: SQLite pragmas and write transactions that cannot deadlock."""

from __future__ import annotations

import os

import contextvars
import logging
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result

from spokes.extensions import db

log = logging.getLogger(__name__)

# SQLite allows one writer. A deferred transaction that reads and then writes fails at once
# (SQLITE_BUSY_SNAPSHOT) when another writer committed in between, so writing work starts
# with BEGIN IMMEDIATE and waits for the lock instead. Reads (GET, HEAD) keep plain BEGIN.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


def init_db(app: Flask) -> None:
    """Bind SQLAlchemy, make its end-of-request clean-up safe, and install the SQLite hooks."""
    db.init_app(app)
    _safe_teardown(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    with app.app_context():
        engine = db.engine
    _install_sqlite_hooks(engine, busy_ms)

    @app.before_request
    def _mark_write_intent() -> None:
        from flask import g, request

        g._write_intent_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _forget_write_intent(_exc: BaseException | None) -> None:
        # Requests may share a thread with later CLI-style work (tests, threaded servers):
        # put back the default so a GET's read-only BEGIN does not leak out of its request.
        from flask import g

        token = g.pop("_write_intent_token", None)
        if token is not None:
            write_intent.reset(token)


def _safe_teardown(app: Flask) -> None:
    """Replace Flask-SQLAlchemy's session clean-up with one that never raises.

    The response is already built when the app context ends: a committed request must not
    turn into a bare "Internal Server Error" because the connection died after the commit
    and the closing ROLLBACK cannot reach the database. The server rolls back on its own
    when a connection drops; the dead connection is discarded.
    """
    funcs = app.teardown_appcontext_funcs
    for index, func in enumerate(funcs):
        if getattr(func, "__func__", None) is type(db)._teardown_session:
            funcs[index] = _remove_session_quietly


def _remove_session_quietly(_exc: BaseException | None = None) -> None:
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001 - see _safe_teardown
        log.warning("closing the database session failed (connection lost); discarded", exc_info=True)
        try:
            db.session().invalidate()  # the scoped session does not pass invalidate() on
            db.session.registry.clear()
        except Exception:  # noqa: BLE001 - nothing more can be released
            log.debug("session already discarded", exc_info=True)

def _owner_only(database_files: list[str]) -> None:
    """Make the SQLite database and its WAL files readable by the owner only (0600), not 0644."""
    for main in database_files:
        for path in (main, main + "-wal", main + "-shm"):
            try:
                if os.path.exists(path) and (os.stat(path).st_mode & 0o077):
                    os.chmod(path, 0o600)
            except OSError:  # another user's file, or it vanished: nothing we may change
                continue


def _install_sqlite_hooks(engine: Engine, busy_ms: int) -> None:
    """Turn on WAL, foreign keys and a busy timeout; let us issue BEGIN ourselves."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # pysqlite's own BEGIN handling is replaced below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        files = [row[2] for row in cur.execute("PRAGMA database_list") if row[2]]
        cur.close()
        _owner_only(files)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def render_migration_type(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render our column types as plain SQLAlchemy types, so migrations never import app code."""
    from spokes.core.model_types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def rowcount(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE touched (0 when the driver cannot say)."""
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
