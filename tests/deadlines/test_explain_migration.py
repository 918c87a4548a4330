"""Migration 0011explain turns stored explanation sentences into data and back, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from spokes.deadlines.explain import render_steps
from spokes.extensions import db
from tests.foundation.test_migrations import migrated_database, stored_request

from .test_explain import PROSE

STORED = {"steps": PROSE[1] + ["Một câu lạ."], "confidence": "Q", "statutory": True,
          "note": "Đã gia hạn thêm 2 ngày; lý do: Chờ số liệu"}


def _explanation() -> dict:
    value = db.session.execute(text("SELECT deadline_explanation FROM press_requests")).scalar_one()
    db.session.remove()
    return json.loads(value) if isinstance(value, str) else value


def test_upgrade_stores_steps_as_data_and_downgrade_writes_the_sentences_back(tmp_path):
    with migrated_database(tmp_path):
        stored_request("press_answer", datetime(2026, 4, 1, 3, 0, tzinfo=UTC))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0010scale")
        # As the engine stored it before explanations were data.
        db.session.execute(text("UPDATE press_requests SET deadline_explanation = :value"),
                           {"value": json.dumps(STORED, ensure_ascii=False)})
        db.session.commit()
        db.session.remove()

        upgrade(revision="0011explain")
        data = _explanation()
        assert [step["code"] for step in data["steps"]] == [
            "received", "rule", "days_start", "calendar_days", "skip", "skip", "skip", "moved", "due_end_of_day",
            "text"]
        assert data["steps"][7] == {"code": "moved", "from": "2026-05-01", "to": "2026-05-04"}
        assert data["note"] == {"code": "extended", "n": 2, "unit": "calendar_days", "reason": "Chờ số liệu"}
        assert render_steps(data["steps"]) == STORED["steps"]

        downgrade(revision="0010scale")
        assert _explanation() == STORED
