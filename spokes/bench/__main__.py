"""Run the benchmark: ``python -m spokes.bench [--requests N] [--database-url URL]``.

1. Build the large data set in a throwaway instance (SQLite by default).
2. Time each page in-process (server time, p50/p95) and count its SQL queries.
3. Time the periodic job (``tick``): the backlog right after the load, a tick with nothing
   due, the morning's reminders (07:00 of the next working day, the busiest minute of a day)
   and a tick a minute later.
4. Measure whole-stack throughput: gunicorn with 2 workers serving ``/`` against a minimal
   Flask app under the same settings, with a local load generator, and report the ratio.
5. Print a Markdown table. ``--sizes 50000,200000,1000000`` runs every size in turn (the
   database is emptied between sizes) and ends with the scaling table: p95 per page and size,
   and the ratio of the largest size to the smallest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

REPEAT = 30
# The signed-in pages and the session cookie measure_pages used, for the throughput run.
SIGNED_IN: dict[str, Any] = {}
# The least a signed-in page costs: the site's layout (menus by permission, two languages) around one
# small form, with no request data. The throughput targets of the staff pages are read against it.
FLOOR = "Floor: the password form (layout and one small form, no request data)"
BENCH_PASSWORD = "bench-password-2026"


@dataclass
class PageResult:
    """Timings and query counts of one page."""

    label: str
    url: str
    status: int
    p50_ms: float
    p95_ms: float
    queries: int
    target_ms: float | None


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _progress(label: str, count: int) -> None:
    sys.stderr.write(f"\r  {label}: {count:,}      ")
    sys.stderr.flush()


def build(app: Any, requests: int, publications: int) -> Any:
    """Migrate the throwaway database and fill it; return the seed report."""
    from flask_migrate import upgrade

    from spokes.bench.seed import seed
    from spokes.extensions import db

    with app.app_context():
        upgrade()
        report = seed(requests, publications, progress=_progress)
        sys.stderr.write("\n")
        db.session.remove()
    return report


def upgrade_existing(app: Any) -> Any:
    """Bring an already filled database to the current schema (no seeding); return its counts.

    For comparing two versions on the same data: fill the database with the older one, then
    run this version with ``--existing`` (its migrations run on the filled tables, as in production).
    """
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from spokes.audit.models import AuditEvent
    from spokes.auth.models import User
    from spokes.bench.seed import SeedReport
    from spokes.core.search import SearchDocument
    from spokes.extensions import db
    from spokes.press_requests.models import PressRequest
    from spokes.publishing.models import Publication
    from spokes.units.models import Unit

    with app.app_context():
        started = time.perf_counter()
        upgrade()
        seconds = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        counts = [db.session.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in (Unit, User, PressRequest, AuditEvent, Publication, SearchDocument)]
        db.session.remove()
    print(f"migrated the existing data in {seconds:.1f} s", file=sys.stderr)
    return SeedReport(*counts, seconds=seconds)


def measure_pages(app: Any, repeat: int = REPEAT) -> list[PageResult]:
    """Time every benchmarked page through the test client and count its queries."""
    from sqlalchemy import event, select

    from spokes.auth.models import Membership, User
    from spokes.extensions import db
    from spokes.press_requests.models import PressRequest
    from spokes.publishing.models import Publication
    from spokes.units.models import Unit

    with app.app_context():
        overseer = db.session.execute(
            select(User).join(Membership).where(Membership.role == "overseer").order_by(User.id).limit(1)
        ).scalar_one()
        scope_unit = overseer.memberships[0].unit_id
        slug = db.session.execute(select(Publication.slug).order_by(Publication.published_at.desc()).limit(1)).scalar_one()
        unit_path = db.session.get(Unit, scope_unit).path
        request_id, reference = db.session.execute(
            select(PressRequest.id, PressRequest.reference).join(Unit, Unit.id == PressRequest.unit_id)
            .where(Unit.path.startswith(unit_path)).order_by(PressRequest.id.desc()).limit(1)
        ).one()
        year = time.localtime().tm_year
        engine = db.engine
        email = overseer.email
        db.session.remove()

    counter = {"n": 0}

    def count(*_args: Any, **_kwargs: Any) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    cached = app.test_client()
    public = app.test_client()
    # Any session cookie makes the page cache step aside: these rows time the full render.
    public.set_cookie("session", "bench-visitor")
    staff = app.test_client()
    response = staff.post("/login", data={"email": email, "password": BENCH_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"bench login failed: {response.status_code}")

    search = "/staff/requests/?q=phat+ngon+de+bien"
    SIGNED_IN.clear()
    SIGNED_IN.update({"email": email, "urls": {
        "Staff queue, filtered": "/staff/requests/?state=assigned&overdue=1",
        "Request page": f"/staff/requests/{request_id}",
        "Search": search,
        "Staff home": "/staff/",
        FLOOR: "/account/password",
    }})
    pages: list[tuple[str, Any, str, float | None]] = [
        ("Public home `/`, from the page cache", cached, "/", 50),
        ("Public home `/`, rendered", public, "/", 50),
        ("Item page, rendered", public, f"/news/{slug}", 50),
        ("Atom feed", public, "/feed.atom", 50),
        ("API list", public, "/api/v1/items?per_page=20", 50),
        ("Staff queue, filtered", staff, "/staff/requests/?state=assigned&overdue=1", 50),
        ("Request page", staff, f"/staff/requests/{request_id}", 50),
        ("Search, no diacritics", staff, search, 50),
        ("Search, with diacritics", staff, "/staff/requests/?q=ph%C3%A1t+ng%C3%B4n+%C4%91%C3%AA+bi%E1%BB%83n", 50),
        ("Search, every state (not a target)", staff, search + "&state=all", None),
        ("Search, one match (a reference)", staff, f"/staff/requests/?q={reference}&state=all", 50),
        ("Search, a common word (every state)", staff, "/staff/requests/?q=thong+tin&state=all", None),
        ("Staff queue, page 40 (every state)", staff, "/staff/requests/?state=all&page=40", None),
        ("Atom feed, page 400 (not a target)", public, "/feed.atom?page=400", None),
        ("API list, page 400", public, "/api/v1/items?per_page=20&page=400", 50),
        ("Yearly report (subtree)", staff, f"/staff/reports/?from={year}-01-01&to={year}-12-31", 200),
    ]
    results = []
    for label, client, url, target in pages:
        client.get(url)  # warm caches and compiled statements
        timings, queries, status = [], 0, 0
        for _ in range(repeat):
            counter["n"] = 0
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            queries = counter["n"]
            status = response.status_code
            response.close()
        results.append(PageResult(label, url, status, statistics.median(timings), _percentile(timings, 0.95),
                                  queries, target))
    event.remove(engine, "before_cursor_execute", count)
    return results


@dataclass
class TickResult:
    """How long one run of the periodic job took and what it did."""

    label: str
    seconds: float
    checked: int
    notices: int
    target_s: float | None


def measure_ticks(app: Any) -> list[TickResult]:
    """Time ``tick`` (alerts, digests, outbox) in the situations the issue names, in frozen time."""
    from datetime import UTC, datetime, timedelta

    from spokes.core import clock
    from spokes.deadlines.calendar import VN_TZ
    from spokes.deadlines.engine import add_working_days
    from spokes.deadlines.services import work_calendar
    from spokes.extensions import db
    from spokes.notifications import jobs

    results = []
    with app.app_context():
        app.config["MAIL_SERVER"] = None  # .eml files in the throwaway instance: no mail leaves
        start = datetime.now(UTC)
        local = start.astimezone(VN_TZ)
        # Reminders go out at 07:00 on working days: the next one, so a run on a Friday or
        # before a holiday still times the busiest minute (a Saturday morning sends almost none).
        day = add_working_days(local.date(), 1, work_calendar())
        morning = datetime.combine(day, datetime.min.time().replace(hour=7), tzinfo=VN_TZ).astimezone(UTC)
        steps = [("backlog right after the load (not a target)", start, None),
                 ("nothing due (a minute later)", start + timedelta(minutes=1), 0.1),
                 ("the morning's reminders (07:00 next working day)", morning, 5.0),
                 ("a minute after the morning's run", morning + timedelta(minutes=1), 0.1)]
        try:
            for label, moment, target in steps:
                clock.freeze(moment)
                began = time.perf_counter()
                result = jobs.run_tick()
                seconds = time.perf_counter() - began
                a = result.alerts
                results.append(TickResult(label, seconds, a.requests, a.reminders + a.overdue + a.escalations, target))
                db.session.remove()
        finally:
            clock.freeze(None)
    return results


MINIMAL_APP = """
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    return "ok"
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not start")


def _load(port: int, seconds: float, connections: int, path: str = "/", cookie: str | None = None) -> float:
    """Send requests to 127.0.0.1:port for a while from several threads; return requests/second."""
    wrk = shutil.which("wrk")
    if wrk:
        extra = ["-H", f"Cookie: {cookie}"] if cookie else []
        out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", *extra,
                              f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                return float(line.split()[1])
    done = {"n": 0}
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while time.time() < stop:
            try:
                conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                conn.getresponse().read()
                n += 1
            except OSError:
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            done["n"] += n

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done["n"] / seconds


def _login_over_http(port: int, email: str, password: str) -> str | None:
    """Sign in on the running server as a browser would (form, CSRF token); return its Cookie header."""
    import re
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode

    jar: dict[str, str] = {}

    def remember(response: Any) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                jar[key] = morsel.value

    def cookie() -> str:
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login")
        response = conn.getresponse()
        remember(response)
        page = response.read().decode("utf-8", "replace")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urlencode({"email": email, "password": password, **({"csrf_token": token.group(1)} if token else {})})
        conn.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie()})
        response = conn.getresponse()
        remember(response)
        response.read()
        return cookie() if response.status in (302, 303) else None
    finally:
        conn.close()


def _signed_in_works(port: int, path: str, cookie: str) -> bool:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        if response.status != 200:
            print(f"signed-in {path}: HTTP {response.status} {response.getheader('Location')}", file=sys.stderr)
        return response.status == 200
    finally:
        conn.close()


def measure_throughput(env: dict[str, str], seconds: float = 10, connections: int = 8,
                       redis_url: str | None = None) -> tuple[float, float, float | None]:
    """Return (spokes req/s, minimal app req/s, spokes on Redis req/s) for gunicorn -w 2 serving /.

    Spokes runs with the page cache in the instance folder (the default store); with
    ``redis_url`` it runs once more with the page cache on that Redis. While the first Spokes
    server runs, the signed-in pages of ``SIGNED_IN`` are loaded too, by one signed-in session,
    into ``SIGNED_IN["rates"]`` as (kept, rendered): first as they are served (the same session
    reading the same page again gets it from the personal page cache), then by a server with
    ``PERSONAL_PAGE_CACHE=0``, which renders every one.
    """
    work = Path(tempfile.mkdtemp(prefix="spokes-minimal-"))
    (work / "minimal_app.py").write_text(textwrap.dedent(MINIMAL_APP), encoding="utf-8")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    rates = []
    runs = [("spokes:create_app()", os.getcwd(), dict(env, PAGE_CACHE_URL="filesystem")),
            ("minimal_app:app", str(work), env)]
    if redis_url:
        runs.append(("spokes:create_app()", os.getcwd(), dict(env, PAGE_CACHE_URL=redis_url)))
    if SIGNED_IN.get("email"):
        runs.append(("spokes:create_app()", os.getcwd(),
                     dict(env, PAGE_CACHE_URL="filesystem", PERSONAL_PAGE_CACHE="0")))
    SIGNED_IN["rates"] = {}
    for index, (app_spec, cwd, run_env) in enumerate(runs):
        rendered = run_env.get("PERSONAL_PAGE_CACHE") == "0"
        port = _free_port()
        proc = subprocess.Popen(
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
            cwd=cwd, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/")
            if not rendered:
                _load(port, 2, connections)  # warm-up
                rates.append(_load(port, seconds, connections))
            if (index == 0 or rendered) and SIGNED_IN.get("email"):
                cookie = _login_over_http(port, SIGNED_IN["email"], BENCH_PASSWORD) or ""
                for label, path in SIGNED_IN["urls"].items():
                    rate = None  # the session did not carry over: no figure
                    if _signed_in_works(port, path, cookie):
                        _load(port, 1, connections, path, cookie)
                        rate = _load(port, seconds, connections, path, cookie)
                    kept, _ = SIGNED_IN["rates"].get(label, (None, None))
                    SIGNED_IN["rates"][label] = (kept, rate) if rendered else (rate, None)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)
    return rates[0], rates[1], (rates[2] if redis_url else None)


def data_set_line(report: Any, backend: str) -> str:
    """Return the sentence describing the data set and how long it took to build."""
    return (f"Data set ({backend}): {report.units} units, {report.users} users, {report.requests:,} requests, "
            f"{report.audit_events:,} audit events, {report.publications:,} published items; seeded in {report.seconds:.0f} s.")


def markdown(report: Any, pages: list[PageResult], throughput: tuple[float, float, float | None] | None,
             backend: str) -> str:
    """Return the results as a Markdown table."""
    lines = [
        data_set_line(report, backend),
        "",
        "| page | p50 (ms) | p95 (ms) | SQL queries | target p95 | status |",
        "|---|---:|---:|---:|---|---|",
    ]
    for p in pages:
        if p.target_ms is None:
            lines.append(f"| {p.label} | {p.p50_ms:.1f} | {p.p95_ms:.1f} | {p.queries} | — | (HTTP {p.status}) |")
            continue
        target = f"≤ {p.target_ms:.0f} ms" if p.target_ms < 1000 else "under 1 s"
        ok = p.p95_ms <= p.target_ms and p.queries <= 15 and p.status == 200
        lines.append(f"| {p.label} | {p.p50_ms:.1f} | {p.p95_ms:.1f} | {p.queries} | {target}, ≤ 15 queries | "
                     f"{'met' if ok else 'MISSED'} (HTTP {p.status}) |")
    if throughput:
        spokes_rate, minimal_rate, redis_rate = throughput
        ratio = spokes_rate / minimal_rate if minimal_rate else 0
        generator = "wrk -t2 -c8" if shutil.which("wrk") else "8 Python client threads (install wrk for a lighter load generator)"
        lines += ["", f"Load generator: {generator}, 10 s after a 2 s warm-up, on the same machine.",
                  "", "| whole stack, gunicorn -w 2, `/` | requests/s |", "|---|---:|",
                  f"| Spokes | {spokes_rate:.0f} |", f"| minimal Flask app | {minimal_rate:.0f} |",
                  f"| ratio (target ≥ 50%) | {ratio:.0%} {'met' if ratio >= 0.5 else 'MISSED'} |"]
        if redis_rate is not None:
            share = redis_rate / spokes_rate if spokes_rate else 0
            lines += [f"| Spokes, page cache on Redis | {redis_rate:.0f} |",
                      f"| Redis against the folder store (target ≥ 80%) | {share:.0%} {'met' if share >= 0.8 else 'MISSED'} |"]
        signed = SIGNED_IN.get("rates") or {}
        if signed:
            targets: dict[str, float | None] = {"Search": 0.05, "Staff home": None, FLOOR: None}
            lines += ["", "Signed in (a province overseer's session), same machine and load generator. "
                      "*Shown again*: the same session reads the same page again, served from the personal "
                      "page cache (nothing written meanwhile). *Rendered*: a server with "
                      "`PERSONAL_PAGE_CACHE=0` runs the view for every request. The floor row has no target: it "
                      "measures the site's layout around one small form with no request data, about the least "
                      "that any signed-in page rendered afresh costs.", "",
                      "| page | shown again, req/s | ratio to the minimal app | rendered, req/s | ratio | target | "
                      "status (shown again / rendered) |", "|---|---:|---:|---:|---:|---|---|"]

            def cell(rate: float | None) -> tuple[str, str, float | None]:
                if rate is None:
                    return "—", "—", None
                share = rate / minimal_rate if minimal_rate else 0
                return f"{rate:.1f}", f"{share:.2%}", share

            for label, (kept, rendered_rate) in signed.items():
                goal = targets.get(label, 0.10)
                kept_cells, rendered_cells = cell(kept), cell(rendered_rate)
                verdicts = ["—" if goal is None or share is None else ("met" if share >= goal else "MISSED")
                            for share in (kept_cells[2], rendered_cells[2])]
                lines.append(f"| {label} | {kept_cells[0]} | {kept_cells[1]} | {rendered_cells[0]} | "
                             f"{rendered_cells[1]} | {'' if goal is None else f'≥ {goal:.0%}'} | "
                             f"{' / '.join(verdicts)} |")
    return "\n".join(lines)


def tick_markdown(ticks: list[TickResult]) -> str:
    """Return the tick timings as a Markdown table."""
    lines = ["", "| tick | seconds | requests read | notices | target | status |", "|---|---:|---:|---:|---|---|"]
    for t in ticks:
        target = "—" if t.target_s is None else (f"≤ {t.target_s * 1000:.0f} ms" if t.target_s < 1 else f"≤ {t.target_s:.0f} s")
        status = "" if t.target_s is None else ("met" if t.seconds <= t.target_s else "MISSED")
        lines.append(f"| {t.label} | {t.seconds:.3f} | {t.checked:,} | {t.notices:,} | {target} | {status} |")
    return "\n".join(lines)


def scaling_markdown(runs: list[tuple[int, list[PageResult], list[TickResult]]]) -> str:
    """Return p95 per page (and seconds per tick) for each size, and the largest/smallest ratio."""
    sizes = [n for n, _p, _t in runs]
    head = "| page | " + " | ".join(f"p95 at {n:,} (ms)" for n in sizes) + " | ratio largest/smallest |"
    lines = ["", "Scaling (p95, ms; ticks in ms):", "", head, "|---|" + "---:|" * (len(sizes) + 1)]
    labels = [p.label for p in runs[0][1]]
    for label in labels:
        values = [next((p.p95_ms for p in pages if p.label == label), float("nan")) for _n, pages, _t in runs]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        lines.append(f"| {label} | " + " | ".join(f"{v:.1f}" for v in values) + f" | {ratio:.2f}× |")
    for label in [t.label for t in runs[0][2]]:
        values = [next((t.seconds * 1000 for t in ticks if t.label == label), float("nan")) for _n, _p, ticks in runs]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        lines.append(f"| tick: {label} | " + " | ".join(f"{v:.1f}" for v in values) + f" | {ratio:.2f}× |")
    return "\n".join(lines)


def _empty_database(url: str) -> None:
    """Drop everything in a PostgreSQL database between sizes (SQLite gets a new file instead)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m spokes.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--sizes", default=None, help="comma-separated request counts, e.g. 50000,200000,1000000")
    parser.add_argument("--publications", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--database-url", default=None, help="an EMPTY database to fill (default: throwaway SQLite)")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--redis-url", default=None,
                        help="also serve / with the page cache on this Redis (e.g. redis://127.0.0.1:6379/15)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway instance folder")
    parser.add_argument("--existing", action="store_true",
                        help="measure the data already in --database-url (migrated to this version), no seeding")
    parser.add_argument("--seed-only", action="store_true",
                        help="build the data set, print how long it took and stop (with --database-url: keep it to measure later with --existing)")
    args = parser.parse_args(argv)

    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.requests]
    runs: list[tuple[int, list[PageResult], list[TickResult]]] = []
    for index, size in enumerate(sizes):
        if args.database_url and index > 0:
            _empty_database(args.database_url)
        runs.append(run_size(size, args))
    if len(runs) > 1 and not args.seed_only:
        print(scaling_markdown(runs))
    return 0


def run_size(requests: int, args: Any) -> tuple[int, list[PageResult], list[TickResult]]:
    """Build one data set, measure it, print its tables; return what the scaling table needs."""
    instance = tempfile.mkdtemp(prefix="spokes-bench-")
    os.environ["SPOKES_INSTANCE_PATH"] = instance
    url = args.database_url or f"sqlite:///{instance}/bench.sqlite"
    os.environ["DATABASE_URL"] = url
    from spokes import create_app

    # CSRF is off only for the in-process client that signs in; the pages measured are the same.
    # The page timings are of pages rendered: a signed-in page read again would otherwise come
    # from the personal page cache (the throughput run measures both).
    app = create_app({"ENV_NAME": "development", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url, "PAGE_CACHE_URL": "memory", "PERSONAL_PAGE_CACHE": False})
    if args.existing:
        report = upgrade_existing(app)
    else:
        print(f"Building {requests:,} requests in {instance} …", file=sys.stderr)
        report = build(app, requests, args.publications)
        print(f"Seeded in {report.seconds:.1f} s.", file=sys.stderr)
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    if args.seed_only:
        print(data_set_line(report, backend), flush=True)
        _dispose(app, instance, args.keep)
        return requests, [], []
    print("Timing pages …", file=sys.stderr)
    pages = measure_pages(app, args.repeat)
    print("Timing tick …", file=sys.stderr)
    ticks = measure_ticks(app)
    throughput = None
    if not args.no_throughput:
        print("Measuring whole-stack throughput …", file=sys.stderr)
        env = dict(os.environ, SPOKES_ENV="development", DATABASE_URL=url, SPOKES_INSTANCE_PATH=instance)
        throughput = measure_throughput(env, redis_url=args.redis_url)
    print(markdown(report, pages, throughput, backend) + "\n" + tick_markdown(ticks), flush=True)
    _dispose(app, instance, args.keep)
    return requests, pages, ticks


def _dispose(app: Any, instance: str, keep: bool) -> None:
    """Close the app's connections and remove the throwaway instance folder (unless kept)."""
    from spokes.extensions import db

    with app.app_context():
        db.engine.dispose()
    if not keep:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
