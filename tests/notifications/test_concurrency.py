"""Several ticks at once (threads with their own app, and separate processes) never send twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from spokes.auth.models import User
from spokes.core.clock import now
from spokes.extensions import db
from spokes.notifications.jobs import run_tick
from spokes.notifications.models import MailAttempt, Notification, OutboxMail
from spokes.press_requests.models import PressRequest

from .conftest import vn

# Ticks in threads and in processes read what the test committed.
pytestmark = pytest.mark.real_commits

PROJECT = Path(__file__).resolve().parents[2]


def _overdue_requests(commune: Any, make_request: Any, n: int, due: Any, received: Any = None) -> list[int]:
    ids = [make_request(commune.unit, subject=f"Yêu cầu số {i}", journalist_email=f"pv{i}@baochi.vn",
                        received_at=received).id for i in range(n)]
    db.session.execute(update(PressRequest).values(due_at=due))
    db.session.execute(update(User).values(notify_mode="immediate"))
    # The intake notices were read: no digest muddles the counts, whatever the time of day.
    db.session.execute(update(Notification).values(read_at=now()))
    db.session.commit()
    return ids


def _run_concurrently(apps: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(apps))
    results: list[Any] = [None] * len(apps)
    errors: list[BaseException] = []

    def work(index: int, application: Any) -> None:
        try:
            with application.app_context():
                barrier.wait()
                results[index] = run_tick()
                db.session.remove()
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i, a)) for i, a in enumerate(apps)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_two_ticks_in_threads_do_not_double_notify_or_double_send(app, other_app, smtp_server, commune, make_request,
                                                                  frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    ids = _overdue_requests(commune, make_request, 12, vn(2026, 12, 2, 23, 59, 59))
    frozen_clock(vn(2026, 12, 8, 10, 0))  # Tuesday: overdue and past the 2-working-day escalation
    settings = dict(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=5, MAIL_BATCH_SIZE=3,
                    NOTIFY_BATCH_SIZE=4)
    results = _run_concurrently([other_app(**settings), other_app(**settings)])

    assert not any(r.errors for r in results)
    # Assignee + head told it is overdue, the district overseer escalated: 3 notices per request, once each.
    kinds = Counter(db.session.execute(select(Notification.kind).where(
        Notification.request_id.in_(ids), Notification.kind.in_(["overdue", "escalated"]))).scalars())
    assert kinds == {"overdue": 24, "escalated": 12}
    mails = db.session.execute(select(OutboxMail)).scalars().all()
    assert len(mails) == 12 + 36  # 12 receipts to journalists + one immediate mail per notice
    received = smtp_server.handler.message_ids()
    assert len(received) == len(mails) == len(set(received))
    assert {m.status for m in mails} == {"sent"} and {m.attempts for m in mails} == {1}
    assert sum(r.mail.sent for r in results) == len(mails)
    assert sum(r.alerts.overdue for r in results) >= 12


def _instance_with_config(tmp_path: Path, port: int) -> Path:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        f"MAIL_SERVER = '127.0.0.1'\nMAIL_PORT = {port}\nMAIL_TIMEOUT = 10\nMAIL_BATCH_SIZE = 5\nNOTIFY_BATCH_SIZE = 5\n",
        encoding="utf-8",
    )
    return instance


def test_two_tick_processes_do_not_double_send(app, database_url, smtp_server, commune, make_request, tmp_path):
    # Real time here: the processes have their own clock. Slow the server a little so they overlap.
    original = smtp_server.handler.handle_DATA

    async def slow_data(server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        await asyncio.sleep(0.03)  # latency: a slower mail server, so the two processes overlap
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = slow_data  # type: ignore[method-assign]
    ids = _overdue_requests(commune, make_request, 20, now() - timedelta(hours=1), now() - timedelta(days=3))
    for i in range(40):
        db.session.add(OutboxMail(to_address=f"x{i}@baochi.vn", subject=f"Thư {i}", body_text="x", kind="test"))
    db.session.commit()
    instance = _instance_with_config(tmp_path, smtp_server.port)
    env = {**os.environ, "SPOKES_ENV": "testing", "DATABASE_URL": database_url,
           "SPOKES_INSTANCE_PATH": str(instance)}
    env.pop("MAIL_SERVER", None)
    command = [str(Path(sys.executable).with_name("flask")), "--app", "spokes", "tick"]
    processes = [subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all(out.startswith("tick: ") for out, _err in outputs)
    db.session.expire_all()
    mails = db.session.execute(select(OutboxMail)).scalars().all()
    assert len(mails) == 40 + 20 + 2 * 20  # fillers, receipts, overdue notices to assignee and head
    received = smtp_server.handler.message_ids()
    assert len(received) == len(mails) == len(set(received))
    assert {m.status for m in mails} == {"sent"}
    assert db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.request_id.in_(ids), Notification.kind == "overdue")).scalar_one() == 40
    workers = set(db.session.execute(select(MailAttempt.worker)).scalars())
    assert len(workers) == 2, "both processes should have delivered part of the outbox"
