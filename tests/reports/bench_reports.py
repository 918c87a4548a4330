"""Benchmark the reports on a throwaway database with 200,000 requests (not collected by pytest).

Run from the checkout:

    .venv/bin/python -m tests.reports.bench_reports                  # SQLite in a temporary folder
    .venv/bin/python -m tests.reports.bench_reports --requests 50000
    .venv/bin/python -m tests.reports.bench_reports --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python -m tests.reports.bench_reports --exports        # also time the XLSX/CSV/DOCX exports
    .venv/bin/python -m tests.reports.bench_reports --database-url sqlite:////tmp/b.sqlite --reuse  # re-run

A --database-url database is emptied and refilled (and kept, for --reuse). Requests are
inserted in order of receipt, as a live system logs them; --random-order gives the worst case.

The data: a province with 10 districts of 10 communes each (111 units), requests spread over
2025 (all types and channels, 70 % answered, some open, refused, withdrawn, transferred),
publications, and the clock frozen at 01/02/2026. It times ``build_report`` for the yearly
report of the whole province and of one district, then the reports page, a drill-down list
and (optionally) the exports through the test client, as a signed-in overseer would.

Measured on the development machine (2 CPUs shared with other test runs, load average 4–6,
so wall times are inflated; the CPU time of this process is the steadier figure on SQLite):

    province, 200,000 requests, year      SQLite: build_report ~0.9–1.0 s wall, 0.62–0.68 s CPU;
                                                  page ~0.9 s wall
                                          PostgreSQL 15: build_report ~0.6–0.75 s wall; page ~0.6–0.75 s
    one district (~20,000), year          SQLite ~0.25–0.5 s (0.22 s CPU); PostgreSQL ~0.18 s
    random insertion order (worst case)   SQLite: build_report ~1.4 s wall, 1.05 s CPU
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 2, 1, 9, 0, tzinfo=VN).astimezone(UTC)
YEAR_START = datetime(2025, 1, 1, tzinfo=VN).astimezone(UTC)
PASSWORD = "benchmark-password"
log = logging.getLogger("bench_reports")

TYPES = ["information"] * 6 + ["interview"] * 2 + ["press_answer", "forwarded_feedback", "forwarded_complaint",
                                                     "emergency"]
CHANNELS = ["web_form", "email", "phone", "in_person", "letter", "press_article", "press_conference"]


def _timed(label: str, fn: Callable[[], Any], runs: int = 5) -> Any:
    """Run fn several times; print the median and best wall time and this process's CPU time.

    CPU time is printed because a shared machine makes wall time noisy; with SQLite all the
    database work runs in this process, so it is counted there (not so with PostgreSQL).
    """
    times, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"{label:<58} wall median {statistics.median(times) * 1000:7.1f} ms, best {min(times) * 1000:7.1f} ms; "
          f"cpu median {statistics.median(cpu) * 1000:7.1f} ms  ({runs} runs)")
    return result


def _populate(n_requests: int, seed: int = 2025, *, random_order: bool = False) -> dict[str, Any]:
    """Insert the units, people, requests, transfers and publications; return handles for the timings."""
    from spokes.auth.models import Membership, User
    from spokes.core.text import fold
    from spokes.deadlines.models import RefusalGround, Rule, Rulebook
    from spokes.deadlines.services import seed_rulebooks
    from spokes.extensions import db
    from spokes.press_requests.models import PressRequest, Transfer
    from spokes.publishing.models import Publication
    from spokes.reports.totals import rebuild_all
    from spokes.units.models import Designation, Unit
    from spokes.units.services import set_parent

    rng = random.Random(seed)
    seed_rulebooks()
    book = db.session.execute(select(Rulebook).where(Rulebook.code == "qd1430-2017")).scalar_one()
    rules = {r.request_type: r.id for r in db.session.execute(select(Rule).where(Rule.rulebook_id == book.id)).scalars()}
    grounds = list(db.session.execute(select(RefusalGround.id).where(RefusalGround.rulebook_id == book.id)).scalars())

    def unit(code: str, name: str, parent: Any, kind: str) -> Any:
        u = Unit(code=code, name=name, name_folded=fold(name), kind=kind, reference_prefix=code)
        db.session.add(u)
        set_parent(u, parent)
        return u

    province = unit("P", "Ủy ban nhân dân tỉnh Thử Nghiệm", None, "province")
    districts, communes = [], []
    for d in range(10):
        district = unit(f"D{d}", f"Ủy ban nhân dân huyện Số {d}", province, "district")
        districts.append(district)
        communes += [unit(f"D{d}-C{c}", f"UBND xã {d}-{c}", district, "commune") for c in range(10)]
    overseer = User(email="bench@spokes.test", name="Người theo dõi", title="Chánh Văn phòng")
    overseer.set_password(PASSWORD)
    overseer.memberships.append(Membership(unit_id=province.id, role="overseer"))
    db.session.add(overseer)
    db.session.flush()
    for c in communes[::3]:  # a third of the communes publish a spokesperson
        db.session.add(Designation(unit_id=c.id, user_id=overseer.id, kind="head", title="Chủ tịch",
                                   document_number="1/QĐ", document_date=date(2024, 12, 1),
                                   valid_from=date(2025, 1, 1)))
    db.session.commit()

    unit_ids = [c.id for c in communes] + [d.id for d in districts]
    rows: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    span = (NOW - YEAR_START).total_seconds() - 31 * 86400  # received during 2025
    for i in range(n_requests):
        received = YEAR_START + timedelta(seconds=rng.uniform(0, span))
        rtype = rng.choice(TYPES)
        due = received + timedelta(days=7 if rtype in ("information", "interview") else 30 if rtype != "emergency"
                                   else 1)
        roll = rng.random()
        row = {
            "reference": f"B-{i:07d}", "unit_id": rng.choice(unit_ids), "type": rtype, "channel": rng.choice(CHANNELS),
            "subject": f"Yêu cầu số {i}", "questions": "Câu hỏi.", "received_at": received,
            "clock_started_at": received, "due_at": due, "rulebook_id": book.id, "rule_id": rules[rtype],
            "deadline_explanation": {}, "extended_amount": 0, "created_at": received, "updated_at": received,
            "state": "received", "answered_at": None, "refused_at": None, "withdrawn_at": None,
            "refusal_ground_id": None, "refusal_reason": None, "transferred_from_id": None,
        }
        if roll < 0.70:
            answered = received + timedelta(hours=rng.expovariate(1 / 120))
            row.update(state="answered", answered_at=min(answered, NOW))
        elif roll < 0.78:
            row.update(state="refused", refused_at=received + timedelta(days=2), refusal_ground_id=rng.choice(grounds),
                       refusal_reason="Lý do.")
        elif roll < 0.83:
            row.update(state="withdrawn", withdrawn_at=received + timedelta(days=1))
        rows.append(row)
    if not random_order:
        # Requests are logged as they arrive, so ids follow the receipt time (back-dated
        # receipts are the exception); --random-order measures the worst case instead.
        rows.sort(key=lambda r: r["received_at"])
        for i, row in enumerate(rows):
            row["reference"] = f"B-{i:07d}"
    started = time.perf_counter()
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(PressRequest), rows[chunk:chunk + 10_000])
    db.session.commit()
    ids = list(db.session.execute(select(PressRequest.id).order_by(PressRequest.id)).scalars())
    for request_id in rng.sample(ids, k=min(len(ids), n_requests // 100)):
        transfers.append({"request_id": request_id, "from_unit_id": rng.choice(unit_ids),
                          "to_unit_id": rng.choice(unit_ids), "reason": "Chuyển.",
                          "created_at": YEAR_START + timedelta(days=rng.uniform(0, 360))})
    db.session.execute(insert(Transfer), transfers)
    db.session.execute(insert(Publication), [
        {"slug": f"tin-{i}", "unit_id": rng.choice(unit_ids), "kind": "answer", "title": f"Tin {i}",
         "summary": "", "body": "Nội dung.", "speaker_name": "Người phát ngôn", "revision_number": 1,
         "published_at": YEAR_START + timedelta(days=rng.uniform(0, 360)), "updated_at": NOW}
        for i in range(n_requests // 40)
    ])
    rebuild_all()  # the rows went in without the ORM, whose flushes keep the report totals otherwise
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"inserted {len(rows):,} requests, {len(transfers):,} transfers, {n_requests // 40:,} publications "
          f"in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
    return {"province": province, "district": districts[0], "overseer": overseer}


def _existing() -> dict[str, Any]:
    """Return the handles of a database filled by an earlier run (--reuse)."""
    from spokes.auth.models import User
    from spokes.extensions import db
    from spokes.units.models import Unit

    by_code = {u.code: u for u in db.session.execute(select(Unit).where(Unit.code.in_(["P", "D0"]))).scalars()}
    overseer = db.session.execute(select(User).where(User.email == "bench@spokes.test")).scalar_one()
    return {"province": by_code["P"], "district": by_code["D0"], "overseer": overseer}


def main(argv: list[str] | None = None) -> int:
    """Build the database, then print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--database-url", default=None,
                        help="a throwaway database: its tables are dropped and refilled (kept afterwards for --reuse)")
    parser.add_argument("--exports", action="store_true", help="also time the XLSX, CSV and DOCX exports")
    parser.add_argument("--random-order", action="store_true",
                        help="insert requests in random order of receipt (worst case for the index)")
    parser.add_argument("--reuse", action="store_true", help="keep the data already in --database-url (re-runs)")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="spokes-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
    os.environ.setdefault("SPOKES_INSTANCE_PATH", folder)

    from spokes import create_app
    from spokes.core import clock
    from spokes.extensions import db

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": None,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    clock.freeze(NOW)
    with app.app_context():
        if args.reuse:
            handles = _existing()
        else:
            db.drop_all()
            db.create_all()  # a throwaway benchmark database, never the application's
            handles = _populate(args.requests, random_order=args.random_order)

        from spokes.reports.exports import report_csv, report_xlsx, requests_csv
        from spokes.reports.services import Period, ReportScope, build_report
        from spokes.reports.docx import report_docx

        year = Period(date(2025, 1, 1), date(2025, 12, 31))
        province, district = handles["province"], handles["district"]
        report = _timed("build_report: province (all requests), year 2025",
                        lambda: build_report(ReportScope.of_unit(province), year))
        print(f"    received {report.received:,}, answered {report.answered:,}, on time {report.on_time:,}, "
              f"median {report.answer_days_median} / p90 {report.answer_days_p90} working days, "
              f"{len(report.answer_days)} distinct answer times")
        _timed("build_report: one district (~1/10), year 2025", lambda: build_report(ReportScope.of_unit(district), year))
        _timed("build_report: province, one month (01/2025)",
               lambda: build_report(ReportScope.of_unit(province), Period(date(2025, 1, 1), date(2025, 1, 31))))

        client = app.test_client()
        response = client.post("/login", data={"email": "bench@spokes.test", "password": PASSWORD})
        if response.status_code != 302:
            print("login failed", response.status_code, file=sys.stderr)
            return 1
        query = "from=2025-01-01&to=2025-12-31"

        def get(path: str) -> Any:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
            return response

        _timed("GET /staff/reports/ (page with charts), province, year", lambda: get(f"/staff/reports/?{query}"))
        _timed("GET /staff/reports/requests?metric=late (drill-down p.1)",
               lambda: get(f"/staff/reports/requests?{query}&metric=late"))
        if args.exports:
            district_report = build_report(ReportScope.of_unit(district), year)
            _timed(f"report_xlsx with the request list ({district_report.received:,} rows, one district)",
                   lambda: report_xlsx(district_report), runs=1)
            _timed("report_xlsx province (list too long: figures + a note)", lambda: report_xlsx(report), runs=1)
            _timed("report_xlsx figures only", lambda: report_xlsx(report, with_requests=False), runs=3)
            _timed("report_csv (figures)", lambda: report_csv(report), runs=3)
            _timed("requests_csv (request list)", lambda: requests_csv(report), runs=1)
            _timed("report_docx", lambda: report_docx(report), runs=3)
        db.session.remove()
    clock.freeze(None)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main())
