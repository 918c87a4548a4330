"""The benchmark's data set is what the app itself would have stored, on SQLite and on PostgreSQL.

The seeder writes its rows in bulk, past the ORM and the services (COPY on PostgreSQL, with the
large tables' indexes and foreign keys dropped during the load and built again at the end), so
these tests check what it leaves behind: a valid audit chain, report totals that match the
requests, search documents and stored vectors that the app's own search finds, search that keeps
working for new documents, and on PostgreSQL every index and constraint back as migrated.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from spokes import create_app
from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.bench.__main__ import main as bench_main
from spokes.bench.seed import (AGENCIES, COPY_UNSAFE, FAMILY, GIVEN, PUBLICATION_BODY, PUBLICATION_SUMMARY,
                               REFUSAL_REASON, SUBJECTS, _units, seed)
from spokes.core.search import SearchDocument, index_object, matching_condition
from spokes.core.text import fold
from spokes.deadlines.calendar import VN_TZ
from spokes.deadlines.engine import TimeUnit, compute_due
from spokes.deadlines.models import Rule
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.publishing.models import Publication
from spokes.reports.models import ReportTotal
from spokes.units.models import Unit
from tests.concurrency.live import fresh_database, postgres_base_url

END = datetime(2026, 3, 16, 2, 45, 30, 123456, tzinfo=UTC)
REQUESTS, PUBLICATIONS = 900, 150


def _backend() -> str:
    return "postgresql" if postgres_base_url() else "sqlite"


@pytest.fixture
def migrated(tmp_path) -> Iterator[Flask]:
    """Yield an app, in its context, on a new migrated database of the suite's kind; drop it after."""
    with fresh_database(tmp_path, "seed", _backend()) as url:
        application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with application.app_context():
            upgrade()
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()


def _schema() -> set[tuple[str, ...]]:
    """Return every index and constraint of the PostgreSQL schema, with its definition."""
    rows = db.session.execute(text(
        "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "UNION ALL SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
        "UNION ALL SELECT 'trigger', tgrelid::regclass::text, tgname, tgenabled::text FROM pg_trigger WHERE NOT tgisinternal"))
    return {tuple(row) for row in rows}


def _ids(query: str) -> set[int]:
    return set(db.session.execute(select(PressRequest.id).where(
        matching_condition("request", query, PressRequest.id))).scalars())


def test_the_seed_stores_what_the_app_would(migrated):
    postgres = _backend() == "postgresql"
    schema_before = _schema() if postgres else set()

    report = seed(REQUESTS, PUBLICATIONS, end=END)
    db.session.remove()

    count = lambda model: db.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    assert (report.requests, report.publications) == (REQUESTS, PUBLICATIONS)
    assert (count(PressRequest), count(Publication), count(SearchDocument)) == (
        REQUESTS, PUBLICATIONS, REQUESTS + PUBLICATIONS)
    assert report.search_documents == REQUESTS + PUBLICATIONS

    # The audit chain: every hash checks out, and each request has its intake, assignment and closing.
    assert verify_chain() == (report.audit_events, None)
    states = Counter(db.session.execute(select(PressRequest.state)).scalars())
    open_count = sum(states[s.value] for s in OPEN_STATES)
    assert 0 < open_count < REQUESTS and states["answered"] and states["refused"] and states["withdrawn"]
    per_request = db.session.execute(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.object_type == "request")).scalar_one()
    assert per_request == 2 * REQUESTS + (REQUESTS - open_count)

    # The report totals count every request once, in its outcome.
    sums = db.session.execute(select(func.sum(ReportTotal.received), func.sum(ReportTotal.open),
                                     func.sum(ReportTotal.refused), func.sum(ReportTotal.withdrawn))).one()
    assert tuple(sums) == (REQUESTS, open_count, states["refused"], states["withdrawn"])

    # Search finds exactly what the texts say: one reference, and a phrase in some subjects or questions.
    first = db.session.get(PressRequest, 1)
    assert _ids(first.reference) == {1}
    texts = db.session.execute(select(PressRequest.id, PressRequest.subject, PressRequest.questions)).all()
    expected = {rid for rid, subject, questions in texts if "nong thon" in fold(f"{subject} {questions}")}
    assert expected and _ids("nông thôn") == expected
    if postgres:
        mismatched = db.session.execute(text(
            "SELECT count(*) FROM search_documents d "
            "LEFT JOIN press_requests r ON d.object_type = 'request' AND r.id = d.object_id "
            "LEFT JOIN publications p ON d.object_type = 'publication' AND p.id = d.object_id "
            "WHERE coalesce(r.search_vector, p.search_vector) IS DISTINCT FROM to_tsvector('simple', d.body)")).scalar_one()
        assert mismatched == 0
        assert _schema() == schema_before  # every index, constraint and trigger is back, as migrated

    # The app goes on as usual: new ids follow the seeded ones, a new document is found at once.
    unit = Unit(code="MOI", name="UBND xã Mới", kind="commune", reference_prefix="MOI")
    db.session.add(unit)
    db.session.flush()
    assert unit.id == report.units + 1
    index_object("request", 2, ["Độc nhất vô nhị"])
    db.session.flush()
    assert _ids("doc nhat vo nhi") == {2}
    db.session.rollback()


def test_the_bench_can_stop_after_seeding(tmp_path, monkeypatch, capsys):
    # run_size points these at its throwaway instance; monkeypatch puts them back afterwards.
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", postgres_base_url() or "")
    with fresh_database(tmp_path, "seedonly", _backend()) as url:
        args = ["--requests", "300", "--publications", "40", "--seed-only"]
        if _backend() == "postgresql":
            args += ["--database-url", url]
        assert bench_main(args) == 0
    out = capsys.readouterr().out
    assert "300 requests" in out and "40 published items; seeded in" in out
    assert "| page |" not in out  # no page was timed


def test_the_seeders_texts_go_into_copy_unescaped():
    # COPY's text format would read a tab, a newline or a backslash as syntax: the seeder writes none.
    units = _units(random.Random(2026))
    texts = [*SUBJECTS, *AGENCIES, *FAMILY, *GIVEN, REFUSAL_REASON, PUBLICATION_SUMMARY, PUBLICATION_BODY,
             *(u["name"] for u in units), *(u["reference_prefix"] for u in units)]
    assert [t for t in texts if COPY_UNSAFE.search(t)] == []


def test_a_period_in_days_ends_where_the_date_of_receipt_says(app, rulebooks):
    """The seeder computes each day-counted deadline once per Vietnamese date of receipt: the hour never matters."""
    calendar = work_calendar()
    rules = [r for r in db.session.execute(select(Rule)).scalars() if r.unit != TimeUnit.HOURS]
    assert rules
    first = datetime(2023, 12, 20).date()
    days = [first + timedelta(days=n) for n in range(0, 1200, 3)]
    for rule in rules:
        for day in days:
            early = datetime.combine(day, time(0, 0, 1), tzinfo=VN_TZ)
            late = datetime.combine(day, time(23, 59, 58), tzinfo=VN_TZ)
            assert compute_due(early, rule.amount, rule.unit, calendar).due_at == \
                compute_due(late, rule.amount, rule.unit, calendar).due_at, (rule.id, day)
