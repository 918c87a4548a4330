"""Backup and restore round-trip: every table comes back exactly."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from spokes.audit.services import verify_chain
from spokes.extensions import db
from spokes.press_requests.models import PressRequest

# Backups copy (SQLite) or dump (PostgreSQL) the committed database.
pytestmark = pytest.mark.real_commits


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Return, per table, the row count and a hash of every row in primary-key order."""
    result = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        result[table.name] = (len(rows), digest)
    return result


def test_backup_and_restore_round_trip(runner, tmp_path):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = _fingerprint()
    assert before["press_requests"][0] >= 12
    backup_file = tmp_path / "spokes.backup"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    # Damage the data after the backup, then restore.
    db.session.execute(PressRequest.__table__.update().values(subject="ĐÃ BỊ SỬA"))
    db.session.commit()
    assert _fingerprint() != before

    result = runner.invoke(args=["restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _fingerprint() == before
    assert verify_chain()[1] is None


def test_restore_of_a_missing_or_bad_file_fails_cleanly(runner, tmp_path):
    missing = runner.invoke(args=["restore", "--yes", str(tmp_path / "none.backup")])
    assert missing.exit_code == 1 and "No backup file" in missing.output
    bad = tmp_path / "bad.backup"
    bad.write_bytes(b"this is not a database")
    result = runner.invoke(args=["restore", "--yes", str(bad)])
    assert result.exit_code == 1


def test_restore_turns_the_warm_page_cache_over_and_keeps_references_unique(app, runner, client, tmp_path):
    from spokes.press_requests.models import ReferenceCounter
    from spokes.publishing.models import Publication

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    backup_file = tmp_path / "spokes.backup"
    assert runner.invoke(args=["backup", str(backup_file)]).exit_code == 0
    title = db.session.execute(select(Publication.title).order_by(Publication.id.desc())).scalars().first()
    # After the backup: a publication is renamed and a reference is handed out (in an e-mail, say).
    db.session.execute(Publication.__table__.update().values(title="TIÊU ĐỀ SAU KHI SAO LƯU"))
    counter = db.session.execute(select(ReferenceCounter).order_by(ReferenceCounter.last_number.desc())).scalars().first()
    prefix, year, handed_out = counter.prefix, counter.year, counter.last_number + 3
    counter.last_number = handed_out
    db.session.commit()
    assert "TIÊU ĐỀ SAU KHI SAO LƯU" in client.get("/").get_data(as_text=True)
    warm = client.get("/")
    assert warm.headers["X-Page-Cache"] == "hit" and "TIÊU ĐỀ SAU KHI SAO LƯU" in warm.get_data(as_text=True)

    result = runner.invoke(args=["restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "page cache turned over" in result.output
    assert f"{prefix}-{year}" in result.output and f"→ {handed_out}" in result.output

    page = client.get("/")
    assert page.headers.get("X-Page-Cache") != "hit"
    body = page.get_data(as_text=True)
    assert "TIÊU ĐỀ SAU KHI SAO LƯU" not in body and title in body
    db.session.remove()
    assert db.session.execute(select(ReferenceCounter.last_number).where(
        ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)).scalar_one() == handed_out
