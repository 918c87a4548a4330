"""Run the benchmark: ``python -m spokes.bench [--requests N] [--database-url URL]``.

1. Build the large data set in a throwaway instance (SQLite by default).
2. Time each page in-process (server time, p50/p95) and count its SQL queries.
3. Measure whole-stack throughput: gunicorn with 2 workers serving ``/`` against a minimal
   Flask app under the same settings, with a local load generator, and report the ratio.
4. Print a Markdown table.
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
        request_id = db.session.execute(
            select(PressRequest.id).join(Unit, Unit.id == PressRequest.unit_id)
            .where(Unit.path.startswith(unit_path)).order_by(PressRequest.id.desc()).limit(1)
        ).scalar_one()
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
        ("Yearly report (subtree)", staff, f"/staff/reports/?from={year}-01-01&to={year}-12-31", 1000),
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


def _load(port: int, seconds: float, connections: int) -> float:
    """Send requests to 127.0.0.1:port for a while from several threads; return requests/second."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", f"http://127.0.0.1:{port}/"],
                             capture_output=True, text=True, check=False).stdout
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
                conn.request("GET", "/")
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


def measure_throughput(env: dict[str, str], seconds: float = 10, connections: int = 8) -> tuple[float, float]:
    """Return (spokes req/s, minimal app req/s) for gunicorn -w 2 serving / on this machine."""
    work = Path(tempfile.mkdtemp(prefix="spokes-minimal-"))
    (work / "minimal_app.py").write_text(textwrap.dedent(MINIMAL_APP), encoding="utf-8")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    rates = []
    for app_spec, cwd in (("spokes:create_app()", os.getcwd()), ("minimal_app:app", str(work))):
        port = _free_port()
        proc = subprocess.Popen(
            [gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/")
            _load(port, 2, connections)  # warm-up
            rates.append(_load(port, seconds, connections))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)
    return rates[0], rates[1]


def markdown(report: Any, pages: list[PageResult], throughput: tuple[float, float] | None, backend: str) -> str:
    """Return the results as a Markdown table."""
    lines = [
        f"Data set ({backend}): {report.units} units, {report.users} users, {report.requests:,} requests, "
        f"{report.audit_events:,} audit events, {report.publications:,} published items; seeded in {report.seconds:.0f} s.",
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
        spokes_rate, minimal_rate = throughput
        ratio = spokes_rate / minimal_rate if minimal_rate else 0
        generator = "wrk -t2 -c8" if shutil.which("wrk") else "8 Python client threads (install wrk for a lighter load generator)"
        lines += ["", f"Load generator: {generator}, 10 s after a 2 s warm-up, on the same machine.",
                  "", "| whole stack, gunicorn -w 2, `/` | requests/s |", "|---|---:|",
                  f"| Spokes | {spokes_rate:.0f} |", f"| minimal Flask app | {minimal_rate:.0f} |",
                  f"| ratio (target ≥ 50%) | {ratio:.0%} {'met' if ratio >= 0.5 else 'MISSED'} |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m spokes.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--publications", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--database-url", default=None, help="an EMPTY database to fill (default: throwaway SQLite)")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway instance folder")
    args = parser.parse_args(argv)

    instance = tempfile.mkdtemp(prefix="spokes-bench-")
    os.environ["SPOKES_INSTANCE_PATH"] = instance
    url = args.database_url or f"sqlite:///{instance}/bench.sqlite"
    os.environ["DATABASE_URL"] = url
    from spokes import create_app

    # CSRF is off only for the in-process client that signs in; the pages measured are the same.
    app = create_app({"ENV_NAME": "development", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": url, "PAGE_CACHE_URL": "memory"})
    print(f"Building the data set in {instance} …", file=sys.stderr)
    report = build(app, args.requests, args.publications)
    print("Timing pages …", file=sys.stderr)
    pages = measure_pages(app, args.repeat)
    throughput = None
    if not args.no_throughput:
        print("Measuring whole-stack throughput …", file=sys.stderr)
        env = dict(os.environ, SPOKES_ENV="development", DATABASE_URL=url, SPOKES_INSTANCE_PATH=instance)
        throughput = measure_throughput(env)
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(markdown(report, pages, throughput, backend))
    if not args.keep:
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
