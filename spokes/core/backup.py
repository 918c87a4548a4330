"""Backup and restore of the whole database: SQLite's online backup API, or pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from spokes.extensions import db


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return url.database


def _libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def backup(target: str | Path) -> Path:
    """Write a consistent copy of the live database to ``target`` and return its path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    url = make_url(str(db.engine.url))
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        dest = sqlite3.connect(str(target))
        try:
            with dest:
                source.backup(dest)  # online: readers and writers may go on meanwhile
        finally:
            dest.close()
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        if not shutil.which("pg_dump"):
            raise BackupError("pg_dump is not installed on this machine.")
        args, env = _libpq_args(url)
        result = subprocess.run(
            ["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(target), url.database or ""],
            env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return target
    raise BackupError(f"Backups are not supported for {url.get_backend_name()}.")


def restore(source: str | Path) -> None:
    """Replace the live database's content with the backup in ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    url = make_url(str(db.engine.url))
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            src.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError as err:
            raise BackupError(f"{source} is not an SQLite backup: {err}") from err
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            with dest:
                src.backup(dest)
        finally:
            dest.close()
            src.close()
        return
    if url.get_backend_name() == "postgresql":
        if not shutil.which("pg_restore"):
            raise BackupError("pg_restore is not installed on this machine.")
        args, env = _libpq_args(url)
        result = subprocess.run(
            ["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "-d", url.database or "", str(source)],
            env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        return
    raise BackupError(f"Restore is not supported for {url.get_backend_name()}.")
