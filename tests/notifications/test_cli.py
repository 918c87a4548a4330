"""The tick, worker and outbox commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from spokes.extensions import db
from spokes.notifications.models import OutboxMail

from .conftest import vn

PROJECT = Path(__file__).resolve().parents[2]


def test_tick_does_everything_due_and_prints_one_line(app, runner, commune, make_request, frozen_clock, tmp_path):
    app.config["MAIL_FILE_DIR"] = str(tmp_path)
    frozen_clock(vn(2026, 12, 1, 9, 0))
    make_request(commune.unit, actor=commune.clerk)
    frozen_clock(vn(2026, 12, 11, 9, 0))  # due 08/12: overdue, escalated, and a working-day morning

    result = runner.invoke(args=["tick"])

    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tick: ")
    assert "1 overdue" in lines[0] and "1 escalations" in lines[0] and "digests" in lines[0]
    mails = db.session.execute(select(OutboxMail)).scalars().all()
    assert {m.status for m in mails} == {"sent"}
    # The receipt, then one digest each for the spokesperson, the head and the overseer.
    assert sorted(m.kind for m in mails) == ["journalist.received", "staff.digest", "staff.digest", "staff.digest"]
    assert len(list(tmp_path.glob("*.eml"))) == 4
    assert f"{len(mails)} sent" in lines[0]

    status = runner.invoke(args=["outbox-status"])
    assert status.output.strip() == "outbox: 0 pending, 4 sent, 0 failed"


def test_worker_stops_after_max_ticks(app, runner, tmp_path):
    app.config["MAIL_FILE_DIR"] = str(tmp_path)
    result = runner.invoke(args=["worker", "--interval", "1", "--max-ticks", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("worker: tick every 1s")
    assert result.output.strip().endswith("worker: stopped")


def test_resend_needs_ids_or_all(runner):
    assert runner.invoke(args=["outbox-resend"]).exit_code == 2


@pytest.mark.real_commits  # the worker is a process with its own connection
def test_worker_stops_gracefully_on_sigterm(app, database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {**os.environ, "SPOKES_ENV": "testing", "DATABASE_URL": database_url, "SPOKES_INSTANCE_PATH": str(instance),
           "PYTHONUNBUFFERED": "1"}
    env.pop("MAIL_SERVER", None)
    flask = str(Path(sys.executable).with_name("flask"))
    process = subprocess.Popen([flask, "--app", "spokes", "worker", "--interval", "2"], cwd=PROJECT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        # The worker installs its signal handlers before it prints this line, so the signal may
        # come at once: wherever it lands (a tick or the wait between ticks) the worker stops.
        assert process.stdout.readline().startswith("worker: tick every 2s")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert out.strip().endswith("worker: stopped")
