"""Migration 0011explain turns stored explanation sentences into data and back, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from spokes import create_app
from spokes.deadlines.explain import render_steps
from spokes.deadlines.models import Rule
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.units.models import Unit
from tests.foundation.test_migrations import _fresh_database_url

from .test_explain import PROSE

STORED = {"steps": PROSE[1] + ["Một câu lạ."], "confidence": "Q", "statutory": True,
          "note": "Đã gia hạn thêm 2 ngày; lý do: Chờ số liệu"}


def _explanation() -> dict:
    value = db.session.execute(text("SELECT deadline_explanation FROM press_requests")).scalar_one()
    db.session.remove()
    return json.loads(value) if isinstance(value, str) else value


def test_upgrade_stores_steps_as_data_and_downgrade_writes_the_sentences_back(tmp_path):
    url, drop = _fresh_database_url(tmp_path)
    try:
        application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with application.app_context():
            upgrade()
            rule = db.session.execute(select(Rule).where(Rule.request_type == "press_answer")).scalars().first()
            moment = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
            unit = Unit(code="DHU", name="UBND xã Đông Hưng", kind="commune", reference_prefix="DHU")
            db.session.add(unit)
            db.session.flush()
            db.session.add(PressRequest(
                reference="DHU-2026-00001", unit_id=unit.id, type="press_answer", channel="phone", subject="Câu hỏi",
                questions="Nội dung", received_at=moment, clock_started_at=moment, due_at=moment,
                rulebook_id=rule.rulebook_id, rule_id=rule.id))
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
            db.engine.dispose()
    finally:
        drop()
