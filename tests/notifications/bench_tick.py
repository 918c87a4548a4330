"""Measure how long ``tick`` takes with many open requests. Not part of the test suite.

Builds a throwaway database (SQLite in a temporary folder unless --database is given), with a
province → districts → communes tree, a head and a spokesperson per commune, overseers on the
province and the districts, and N open requests whose due dates are spread from 20 days ago to
25 days ahead. Then it runs one tick (the backlog: every overdue request is escalated at once)
and a second tick (the steady state), timing each step.

    .venv/bin/python tests/notifications/bench_tick.py --requests 20000
    .venv/bin/python tests/notifications/bench_tick.py --requests 200000
    .venv/bin/python tests/notifications/bench_tick.py --database postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 9, 8, 0, tzinfo=VN)  # a Wednesday morning: digests are due


def build(requests: int, communes: int, seed: int = 7) -> None:
    """Fill the database with units, staff and open requests, in bulk."""
    from sqlalchemy import insert, select

    from spokes.auth.models import Membership, User
    from spokes.deadlines.models import Rule, Rulebook
    from spokes.deadlines.services import seed_rulebooks
    from spokes.extensions import db
    from spokes.press_requests.models import PressRequest
    from spokes.units.models import Unit

    rng = random.Random(seed)
    seed_rulebooks()
    db.session.commit()
    book = db.session.execute(select(Rulebook).where(Rulebook.code == "lbc2025-nd237")).scalar_one()
    rule = db.session.execute(select(Rule).where(Rule.rulebook_id == book.id, Rule.request_type == "information",
                                                 Rule.milestone == "main")).scalar_one()
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    province = Unit(code="P", name="Tỉnh", name_folded="tinh", kind="province", reference_prefix="P", path="/1/")
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    districts = []
    for d in range(10):
        unit = Unit(code=f"D{d}", name=f"Huyện {d}", name_folded=f"huyen {d}", kind="district", reference_prefix=f"D{d}",
                    parent_id=province.id, depth=1, path="/")
        db.session.add(unit)
        districts.append(unit)
    db.session.flush()
    for unit in districts:
        unit.path = f"{province.path}{unit.id}/"
    rows = [{"code": f"C{c}", "name": f"Xã {c}", "name_folded": f"xa {c}", "kind": "commune",
             "reference_prefix": f"C{c}", "parent_id": districts[c % 10].id, "depth": 2, "path": "/",
             "is_active": True, "approval_required": True, "created_at": moment} for c in range(communes)]
    db.session.execute(insert(Unit), rows)
    commune_units = list(db.session.execute(select(Unit).where(Unit.kind == "commune")).scalars())
    by_id = {u.id: u for u in districts}
    for unit in commune_units:
        unit.path = f"{by_id[unit.parent_id].path}{unit.id}/"
    db.session.flush()
    password = "pbkdf2:sha256:1$x$0"
    users = []
    for unit in commune_units:
        for role in ("head", "spokesperson"):
            users.append({"email": f"{role}.{unit.code}@bench.vn", "name": f"{role} {unit.code}", "password_hash": password,
                          "active": True, "locale": "vi", "notify_mode": "digest", "must_change_password": False,
                          "created_at": moment})
    for unit in [province, *districts]:
        users.append({"email": f"overseer.{unit.code}@bench.vn", "name": f"overseer {unit.code}",
                      "password_hash": password, "active": True, "locale": "vi", "notify_mode": "digest",
                      "must_change_password": False, "created_at": moment})
    db.session.execute(insert(User), users)
    ids = dict(db.session.execute(select(User.email, User.id)).all())
    members = []
    for unit in commune_units:
        members.append({"user_id": ids[f"head.{unit.code}@bench.vn"], "unit_id": unit.id, "role": "head", "created_at": moment})
        members.append({"user_id": ids[f"spokesperson.{unit.code}@bench.vn"], "unit_id": unit.id, "role": "spokesperson",
                        "created_at": moment})
    for unit in [province, *districts]:
        members.append({"user_id": ids[f"overseer.{unit.code}@bench.vn"], "unit_id": unit.id, "role": "overseer",
                        "created_at": moment})
    db.session.execute(insert(Membership), members)
    db.session.commit()

    now_utc = NOW.astimezone(UTC)
    chunk = []
    for i in range(requests):
        unit = commune_units[i % len(commune_units)]
        due = now_utc + timedelta(days=rng.uniform(-20, 25))
        due = due.astimezone(VN).replace(hour=23, minute=59, second=59, microsecond=0).astimezone(UTC)
        received = min(due - timedelta(days=7), now_utc - timedelta(hours=1))
        chunk.append({
            "reference": f"{unit.code}-2026-{i:07d}", "unit_id": unit.id, "type": "information", "channel": "phone",
            "state": "assigned", "subject": f"Câu hỏi số {i}", "questions": "Xin cho biết.",
            "assignee_id": ids[f"spokesperson.{unit.code}@bench.vn"], "received_at": received,
            "clock_started_at": received, "due_at": due, "rulebook_id": book.id, "rule_id": rule.id,
            "deadline_explanation": {}, "extended_amount": 0, "created_at": received, "updated_at": received,
            "assigned_at": received, "next_alert_at": received,  # as the migration backfills open requests
        })
        if len(chunk) == 20000:
            db.session.execute(insert(PressRequest), chunk)
            db.session.commit()
            chunk = []
    if chunk:
        db.session.execute(insert(PressRequest), chunk)
        db.session.commit()


def timed_tick(label: str) -> None:
    """Run the tick's steps one by one and print how long each took."""
    from spokes.core.clock import now
    from spokes.core.db import write_intent
    from spokes.extensions import db
    from spokes.notifications import jobs, sender

    write_intent.set(True)
    moment = now()
    t0 = time.perf_counter()
    alerts = jobs.run_alerts(moment)
    t1 = time.perf_counter()
    digests = jobs.run_digests(moment)
    t2 = time.perf_counter()
    mail = sender.send_pending()
    t3 = time.perf_counter()
    db.session.remove()
    print(f"{label}: alerts {t1 - t0:7.2f}s ({alerts.requests} requests checked, {alerts.reminders} reminded, "
          f"{alerts.overdue} overdue, {alerts.escalations} escalated) | digests {t2 - t1:6.2f}s ({digests}) | "
          f"outbox {t3 - t2:6.2f}s ({mail.sent} sent) | total {t3 - t0:7.2f}s", flush=True)


def main() -> None:
    """Build the data, run two ticks, print the timings."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--communes", type=int, default=500)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="spokes-bench-")
    os.environ["SPOKES_INSTANCE_PATH"] = workdir
    url = args.database or "sqlite:///" + os.path.join(workdir, "bench.sqlite")
    from spokes import create_app
    from spokes.core import clock
    from spokes.extensions import db
    from spokes.notifications.models import Notification

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": None,
                      "MAIL_FILE_DIR": os.path.join(workdir, "mail"), "MAIL_BATCH_SIZE": 200})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        clock.freeze(NOW)
        started = time.perf_counter()
        build(args.requests, args.communes)
        print(f"built {args.requests} open requests in {args.communes} communes on {db.engine.dialect.name} "
              f"in {time.perf_counter() - started:.1f}s", flush=True)
        timed_tick("tick 1 (backlog)")
        timed_tick("tick 2 (nothing new)")
        clock.freeze(NOW + timedelta(days=1))
        timed_tick("tick 3 (next day)")
        count = db.session.execute(db.select(db.func.count()).select_from(Notification)).scalar_one()
        print(f"notices in the database: {count}; work folder {workdir}")
        clock.freeze(None)


if __name__ == "__main__":
    main()
