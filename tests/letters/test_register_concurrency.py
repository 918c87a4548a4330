"""Two servers issuing at once get distinct, consecutive numbers (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from spokes.extensions import db
from spokes.letters.models import Letter

# Processes issue letters from what the test committed.
pytestmark = pytest.mark.real_commits

PROJECT = Path(__file__).resolve().parents[2]


def _each(database_url: str) -> int:
    """Letters per process: 100 on PostgreSQL (the acceptance figure), fewer on SQLite's single writer."""
    default = "100" if database_url.startswith("postgresql") else "20"
    return int(os.environ.get("SPOKES_LETTER_RACE", default))


def test_two_processes_issue_distinct_consecutive_numbers(app, world, answered, database_url, tmp_path):
    each = _each(database_url)
    go = tmp_path / "go"
    env = {**os.environ, "SPOKES_ENV": "testing", "DATABASE_URL": database_url,
           "SPOKES_INSTANCE_PATH": str(tmp_path)}
    command = [sys.executable, "-m", "tests.letters.issue_many", str(answered.id), str(world["chair"].id), str(each),
               str(go)]
    db.session.commit()  # end this session's transaction: on SQLite it would hold the write lock
    processes = [subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    go.touch()
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    got = [int(n) for out, _err in outputs for n in out.split()]
    assert len(got) == 2 * each
    db.session.expire_all()
    stored = db.session.execute(select(Letter.number).order_by(Letter.number)).scalars().all()
    assert sorted(got) == stored == list(range(1, 2 * each + 1))
