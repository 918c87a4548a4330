"""Issue 16: deadline explanations, day names, assignment reasons and audit actions read in English on English pages."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from flask_babel import force_locale

from spokes.audit.labels import ACTION_LABELS, action_label
from spokes.core.clock import VN_TZ
from spokes.core.explain_text import public_confidence, stored_text
from spokes.deadlines.calendar import WorkCalendar
from spokes.deadlines.engine import compute_due
from spokes.deadlines.explain import render_steps
from spokes.deadlines.reader import day_name, explain_step

STEPS = compute_due(datetime(2026, 4, 29, 9, 30, tzinfo=VN_TZ), 5, "working_days", WorkCalendar()).steps
RULE_LINE = {"code": "rule", "book": "Luật Báo chí 2025 — NĐ 237/2026", "label": "Cung cấp thông tin", "amount": 5,
             "unit": "working_days", "basis": "source", "source": "Chỉ tiêu nội bộ"}


def test_every_engine_step_reads_in_english(app):
    with app.test_request_context(), force_locale("en"):
        english = [explain_step(s) for s in STEPS]
        assert english[0] == "Received on 29/04/2026 at 09:30 (Vietnam time)."
        assert "Skipping 30/04/2026 — Liberation Day/Reunification Day." in english
        assert "Skipping 02/05/2026 — Saturday." in english and "Skipping 03/05/2026 — Sunday." in english
        assert english[-1].startswith("Due: 23:59:59 on ")
        assert not [s for s in english if any(c in s for c in "ạảấầẩậắằẳặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỷỹđ")]
        assert explain_step(RULE_LINE) == ("Rulebook Luật Báo chí 2025 — NĐ 237/2026 applies: Cung cấp thông tin — "
                                           "5 working days (Chỉ tiêu nội bộ).")
        assert day_name("Thứ Bảy", date(2026, 5, 2)) == "Saturday"
        assert stored_text("Giao tự động cho người phát ngôn của đơn vị.") == "Automatically assigned to the unit's spokesperson."
        assert stored_text("Ủy quyền phát ngôn theo văn bản số 12/UQ, đến hết ngày 31/12/2026.") == \
            "Authorised to speak under document no. 12/UQ, until 31/12/2026 inclusive."
        assert stored_text("Anh Hải nghỉ phép.") == "Anh Hải nghỉ phép."  # what people typed stays as typed
        assert str(action_label("unit.merge")) == "Merge units"
        assert "độ tin cậy" not in public_confidence("U").lower()


def test_vietnamese_pages_show_the_steps_as_the_engine_wrote_them(app):
    with app.test_request_context(), force_locale("vi"):
        assert [explain_step(s) for s in STEPS] == render_steps(STEPS)
        assert explain_step(STEPS[0]) == "Nhận ngày 29/04/2026 lúc 09:30 (giờ Việt Nam)."
        assert explain_step(RULE_LINE) == ("Áp dụng Luật Báo chí 2025 — NĐ 237/2026: Cung cấp thông tin — "
                                           "5 ngày làm việc (Chỉ tiêu nội bộ).")


def test_every_audit_action_has_words(app):
    root = Path(__file__).resolve().parents[2] / "spokes"
    codes = set()
    for path in root.rglob("*.py"):
        codes |= set(re.findall(r"\"((?:request|unit|user|designation|publication|rulebook|calendar|duty|membership|"
                                r"message|auth|law|letter)\.[a-z_]+)\"", path.read_text(encoding="utf-8")))
    codes -= {c for c in codes if c.rsplit(".", 1)[1] in ("json", "csv", "py", "html")}  # file names, not actions
    codes -= set(app.view_functions) - set(ACTION_LABELS)  # endpoint names (url_for), not actions
    missing = sorted(c for c in codes if c not in ACTION_LABELS)
    assert not missing, missing
