"""The migrated schema equals the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from spokes import create_app
from spokes.auth.models import User
from spokes.core.db import render_migration_type  # noqa: F401 - imported to prove migrations need no app types
from spokes.core.search import matching_ids, migration_filters
from spokes.deadlines.models import Rule
from spokes.extensions import db
from spokes.press_requests.answer_models import Answer
from spokes.press_requests.models import PressRequest
from spokes.units.models import Unit
from tests.concurrency.live import fresh_database, postgres_base_url


@contextmanager
def migrated_database(tmp_path, revision: str = "head") -> Iterator[Flask]:
    """Yield an app, in its context, on a new database upgraded to ``revision``; dispose of both after.

    The database is of the suite's kind: a SQLite file, or a private one on DATABASE_URL's PostgreSQL server.
    """
    backend = "postgresql" if postgres_base_url() else "sqlite"
    with fresh_database(tmp_path, "migrated", backend) as url:
        application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with application.app_context():
            upgrade(revision=revision)
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()


def stored_request(request_type: str, moment: datetime) -> PressRequest:
    """Store a request of a new commune under a seeded rule of its type, received at ``moment``."""
    rule = db.session.execute(select(Rule).where(Rule.request_type == request_type)).scalars().first()
    unit = Unit(code="DHU", name="UBND xã Đông Hưng", kind="commune", reference_prefix="DHU")
    db.session.add(unit)
    db.session.flush()
    req = PressRequest(reference="DHU-2026-00001", unit_id=unit.id, type=request_type, channel="phone",
                       subject="Câu hỏi", questions="Nội dung", received_at=moment, clock_started_at=moment,
                       due_at=moment, rulebook_id=rule.rulebook_id, rule_id=rule.id)
    db.session.add(req)
    db.session.flush()
    return req


# SQLite cannot reflect expression indexes; the PostgreSQL-only GIN index is filtered out
# there anyway (migration_filters), but Alembic warns before it applies the filter.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index 'ix_search_documents_fts'")
def test_migrations_build_the_model_schema(tmp_path):
    with migrated_database(tmp_path):
        with db.engine.connect() as conn:
            # The same filters as env.py: the FTS5 tables are not models.
            opts = {"compare_type": True, **migration_filters(conn.dialect.name)}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_migration_files_do_not_import_app_code():
    folder = os.path.join(os.path.dirname(__file__), "..", "..", "spokes", "migrations", "versions")
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                assert "spokes." not in fh.read(), name


@pytest.mark.parametrize("command", [["db", "upgrade"]])
def test_db_upgrade_command_creates_sqlite_in_instance(tmp_path, monkeypatch, command):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path))
    application = create_app({"ENV_NAME": "testing"})
    result = application.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "spokes.sqlite").exists()
    with application.app_context():
        db.engine.dispose()


def test_per_type_full_text_migration_keeps_existing_documents(tmp_path):
    """Upgrading a database indexed by 0002 makes its documents findable per type, and back."""
    if postgres_base_url():
        pytest.skip("the per-type tables are SQLite's; PostgreSQL keeps its GIN index")
    with migrated_database(tmp_path, "0002fulltext"):
        db.session.execute(text("INSERT INTO search_documents (object_type, object_id, body) VALUES "
                                "('request', 7, 'de bien dong hai'), ('publication', 7, 'phat ngon')"))
        db.session.commit()
        upgrade()
        assert set(db.session.execute(matching_ids("request", "đê biển")).scalars()) == {7}
        assert set(db.session.execute(matching_ids("publication", "de bien")).scalars()) == set()
        assert set(db.session.execute(matching_ids("publication", "phát")).scalars()) == {7}
        db.session.remove()  # end the read transaction before the migration writes
        downgrade(revision="0002fulltext")
        hits = db.session.execute(text("SELECT rowid FROM search_fts WHERE search_fts MATCH 'bien*'")).scalars().all()
        assert len(hits) == 1


def test_journalist_migration_merges_duplicates_before_the_unique_index(tmp_path):
    with migrated_database(tmp_path, "0003ftspertype"):
        db.session.execute(text(
            "INSERT INTO journalists (id, name, email, consent_publish_name, created_at) VALUES "
            "(1, 'Lê Văn Nhanh', 'nhanh@baochi.vn', false, CURRENT_TIMESTAMP), "
            "(2, 'Lê Văn Nhanh', 'nhanh@baochi.vn', false, CURRENT_TIMESTAMP), "
            "(3, 'Lê Thị Khác', 'nhanh@baochi.vn', false, CURRENT_TIMESTAMP), "
            "(4, 'Không thư', NULL, false, CURRENT_TIMESTAMP), (5, 'Không thư', NULL, false, CURRENT_TIMESTAMP)"))
        db.session.commit()
        db.session.remove()
        upgrade()
        ids = db.session.execute(text("SELECT id FROM journalists ORDER BY id")).scalars().all()
        assert ids == [1, 3, 4, 5]  # the oldest of the pair kept; no e-mail, never merged


def test_forms_migration_maps_email_answers_to_nd09_form_4_and_back(tmp_path):
    """0010clock: an answer stored with the old form "email" becomes "written" (ND 09 Điều 4, form 4)."""
    with migrated_database(tmp_path):
        user = User(email="a@dhu.vn", name="Người phát ngôn", password_hash="x")
        db.session.add(user)
        req = stored_request("information", datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
        db.session.add_all([Answer(request_id=req.id, form="written", author_id=user.id),
                            Answer(request_id=req.id, form="briefing", author_id=user.id)])
        db.session.commit()
        db.session.remove()

        downgrade(revision="0009letters")
        # Before 0010 there was no "briefing": it went back to "written"; store an old "email" answer.
        db.session.execute(text("UPDATE answers SET form = 'email' WHERE id = (SELECT MIN(id) FROM answers)"))
        db.session.commit()
        db.session.remove()
        upgrade()
        forms = db.session.execute(text("SELECT form FROM answers ORDER BY id")).scalars().all()
        assert forms == ["written", "written"]


def test_flow_totals_migration_counts_stored_transfers_and_publications(tmp_path):
    """0017flowtotals: transfers and publications stored before it are counted per unit and month, and back."""
    from datetime import date

    from sqlalchemy import DateTime, bindparam, inspect

    with migrated_database(tmp_path):
        req = stored_request("information", datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
        other = Unit(code="VK", name="UBND xã Vân Khánh", kind="commune", reference_prefix="VK")
        db.session.add(other)
        db.session.commit()
        dhu, vk, request_id = req.unit_id, other.id, req.id
        db.session.remove()
        downgrade(revision="0011totals")  # the rows below were stored before 0017flowtotals
        moments = {  # 23:30 on 31/01 and 00:30 on 01/02 in Vietnam: both still 31/01 in UTC
            "t1": datetime(2026, 1, 31, 16, 30, tzinfo=UTC), "t2": datetime(2026, 1, 31, 17, 30, tzinfo=UTC),
            "t3": datetime(2026, 2, 10, 2, 0, tzinfo=UTC)}
        stamp = [bindparam(name, type_=DateTime(timezone=True)) for name in moments]
        db.session.execute(text(
            "INSERT INTO transfers (request_id, from_unit_id, to_unit_id, reason, created_at) VALUES "
            "(:r, :dhu, :vk, 'Sai thẩm quyền.', :t1), (:r, :vk, :dhu, 'Trả lại.', :t2)").bindparams(*stamp[:2]),
            {"r": request_id, "dhu": dhu, "vk": vk, **moments})
        db.session.execute(text(
            "INSERT INTO publications (slug, unit_id, kind, title, summary, body, speaker_name, revision_number, "
            "published_at, updated_at, withdrawn_at, withdrawn_reason) VALUES "
            "('a', :dhu, 'periodic', 'A', '', 'Nội dung.', 'Người phát ngôn', 1, :t1, :t1, NULL, NULL), "
            "('b', :dhu, 'periodic', 'B', '', 'Nội dung.', 'Người phát ngôn', 1, :t3, :t3, :t3, 'Đăng nhầm.'), "
            "('c', :vk, 'periodic', 'C', '', 'Nội dung.', 'Người phát ngôn', 1, :t2, :t2, NULL, NULL)"
        ).bindparams(*stamp), {"dhu": dhu, "vk": vk, **moments})
        db.session.commit()
        db.session.remove()

        upgrade()
        rows = db.session.execute(text(
            "SELECT unit_id, month, transferred, published FROM report_unit_months ORDER BY unit_id, month")).all()
        months = [(u, m if isinstance(m, date) else date.fromisoformat(m), t, p) for u, m, t, p in rows]
        assert months == sorted([(dhu, date(2026, 1, 1), 1, 1), (vk, date(2026, 2, 1), 1, 1)])
        repeats = db.session.execute(text("SELECT is_repeat FROM transfers ORDER BY id")).scalars().all()
        assert [bool(r) for r in repeats] == [False, True]
        db.session.remove()

        downgrade(revision="0011totals")
        schema = inspect(db.engine)
        assert "report_unit_months" not in schema.get_table_names()
        assert "is_repeat" not in {c["name"] for c in schema.get_columns("transfers")}
        assert "ix_press_requests_open_unit_due" not in {i["name"] for i in schema.get_indexes("press_requests")}
