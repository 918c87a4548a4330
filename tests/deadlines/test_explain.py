"""Deadline explanations stored as data read as the engine's Vietnamese sentences, and in English.

``explanations_as_prose.json`` holds the steps the engine wrote, as sentences, before explanations
were stored as data (the same calls as ``EXAMPLES`` below, run on that version).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.support import Translations

from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.engine import compute_due
from spokes.deadlines.explain import (
    MESSAGES,
    NOTES,
    STEP_CODES,
    civil_code_steps,
    render_note,
    render_step,
    render_steps,
)
from spokes.deadlines.rulebook import RulebookSpec, RuleSpec, evaluate, load_seed_rulebooks

from .explain_migration import explanation_migration

PROSE = json.loads((Path(__file__).parent / "explanations_as_prose.json").read_text(encoding="utf-8"))
BOOKS = {b.code: b for b in load_seed_rulebooks()}
OLD, NEW = BOOKS["qd1430-2017"], BOOKS["lbc2025-nd237"]
CALENDAR = WorkCalendar(makeup_working_days={date(2026, 3, 14): "Làm bù (CV 2/XX)"},
                        extra_days_off={date(2026, 3, 12): "Nghỉ bầu cử (thông báo số 12/TB)"},
                        announced_years=frozenset(range(2017, 2027)))
LAYER = RulebookSpec("am", "Chỉ tiêu huyện An Minh", date(2026, 1, 1), None,
                     (RuleSpec("information", 3, "working_days", "Cung cấp thông tin", "Trích", "QĐ 5/2026", "U",
                               statutory=False),), scope_unit_code="AM")
EMPTY_LAYER = RulebookSpec("kg", "QĐ 1430/2017/QĐ-UBND (Kiên Giang cũ)", date(2017, 1, 1), None, (),
                           scope_unit_code="KG")


def _vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


EXAMPLES = [
    lambda: evaluate(OLD, "information", _vn(2026, 3, 10, 9, 15), CALENDAR),  # admin day off, make-up Saturday
    lambda: evaluate(OLD, "press_answer", _vn(2026, 4, 1, 10, 0), CALENDAR),  # last day off: moved (Điều 148)
    lambda: compute_due(_vn(2026, 4, 28, 9, 15), 4, "calendar_days", CALENDAR),
    lambda: evaluate(NEW, "emergency", _vn(2026, 8, 29, 21, 5), CALENDAR),  # hours
    lambda: compute_due(_vn(2026, 9, 2, 8, 0), 3, "working_days", CALENDAR),  # received on a holiday
    lambda: evaluate(NEW, "interview", _vn(2026, 12, 28, 9, 0), CALENDAR),  # into an estimated year
    lambda: evaluate(NEW, "information", _vn(2026, 7, 2, 9, 15), CALENDAR, layers=[EMPTY_LAYER, LAYER]),
    lambda: evaluate(NEW, "forwarded_complaint", _vn(2026, 9, 4, 15, 0), CALENDAR, "conclusion"),
]
RECOUNT = {"code": "recomputed", "on": "2026-03-11", "change": "added", "kind": "day_off", "day": "2026-03-12",
           "reason": "Nghỉ bầu cử"}
VIETNAMESE_LETTERS = re.compile("[ạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉọỏốồổỗộớờởỡợụủứừửữựỳỷỹđơưăâêô]", re.IGNORECASE)


@pytest.fixture(scope="module")
def english() -> Translations:
    return Translations.load(str(Path(__file__).resolve().parents[2] / "spokes" / "translations"), ["en"])


def _all_steps() -> list[dict]:
    return [step for example in EXAMPLES for step in example().steps] + [RECOUNT]


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_the_engine_reads_as_the_sentences_it_stored_before(index: int) -> None:
    result = EXAMPLES[index]()
    assert all(isinstance(step, dict) for step in result.steps)
    assert render_steps(result.steps) == PROSE[index]


def test_every_step_code_the_engine_emits_renders_in_both_languages(english: Translations) -> None:
    steps = _all_steps()
    assert {step["code"] for step in steps} == set(MESSAGES), "an example per step code"
    assert STEP_CODES == set(MESSAGES) | {"text"}
    for step in steps:
        vietnamese = render_step(step)
        in_english = render_step(step, english.gettext, "en")
        assert vietnamese and "%(" not in vietnamese
        assert in_english and "%(" not in in_english and in_english != vietnamese, step
        # Rule labels, rulebook names and an admin's reasons are shown as typed; everything else is English.
        typed = [str(step.get(k, "")) for k in ("book", "label", "reason", "source")]
        typed += [layer["name"] for layer in step.get("layers", [])]
        if step.get("name") in ("Nghỉ bầu cử (thông báo số 12/TB)", "Làm bù (CV 2/XX)"):
            typed.append(step["name"])
        rest = in_english
        for text in typed:
            rest = rest.replace(text, "")
        assert not VIETNAMESE_LETTERS.search(rest), (step, in_english)


def test_english_names_weekdays_and_public_holidays(english: Translations) -> None:
    steps = {s["day"]: s for s in EXAMPLES[1]().steps if s["code"] == "skip"}
    assert render_step(steps["2026-05-01"], english.gettext, "en") == "Skipping 01/05/2026 — International Labor Day."
    assert render_step(steps["2026-05-02"], english.gettext, "en") == "Skipping 02/05/2026 — Saturday."


def test_notes_render_in_both_languages(english: Translations) -> None:
    notes = [{"code": "transferred", "unit": "UBND xã Đông Hưng"}, {"code": "reclassified"},
             {"code": "extended", "n": 2, "unit": "working_days", "reason": "Cần số liệu"}]
    assert {note["code"] for note in notes} == set(NOTES)
    assert render_note(notes[2]) == "Đã gia hạn thêm 2 ngày làm việc; lý do: Cần số liệu"
    assert render_note(notes[2], english.gettext, "en") == "Extended by 2 working days; reason: Cần số liệu"
    assert render_note("Ghi chú tay") == "Ghi chú tay"
    assert render_note(None) == ""


def test_a_text_step_is_shown_as_stored(english: Translations) -> None:
    step = {"code": "text", "text": "Câu do quản trị viên ghi."}
    assert render_step(step) == render_step(step, english.gettext, "en") == "Câu do quản trị viên ghi."
    assert render_step("Câu cũ") == "Câu cũ"


def test_civil_code_steps_are_picked_by_code() -> None:
    steps = EXAMPLES[1]().steps
    assert [s["code"] for s in civil_code_steps(steps)] == ["days_start", "moved"]
    assert [s["code"] for s in civil_code_steps(EXAMPLES[3]().steps)] == ["hours"]


# --------------------------------------------------------------------------- the migration's conversion


@pytest.mark.parametrize("index", range(len(PROSE)))
def test_stored_prose_becomes_data_that_reads_back_identically(index: int) -> None:
    migration = explanation_migration()
    prose = {"steps": PROSE[index], "confidence": "Q", "statutory": True, "note": None}
    data = migration.to_data(prose)
    assert [step["code"] for step in data["steps"] if step["code"] == "text"] == []
    assert data["steps"] == list(EXAMPLES[index]().steps)
    assert render_steps(data["steps"]) == PROSE[index]
    assert migration.to_text(data) == prose  # the downgrade writes the sentences back


def test_the_migration_reads_older_wordings_and_keeps_unknown_sentences() -> None:
    migration = explanation_migration()
    old_rule = ("Áp dụng QĐ 1430/2017: Cung cấp thông tin — 5 ngày làm việc "
                "(Chỉ tiêu nội bộ; độ tin cậy U: chưa kiểm chứng, quản trị viên có thể sửa).")
    read_rule = ("Áp dụng NĐ 09/2017 — Luật Báo chí 2016: Cung cấp thông tin — 5 ngày làm việc "
                 "(Luật Báo chí 2016, Điều 39; độ tin cậy Q: trích từ cơ sở dữ liệu pháp luật).")
    english_recount = "Recalculated on 11/03/2026 because the working calendar changed: Thêm ngày nghỉ"
    recounts = ["Tính lại ngày 11/03/2026 do lịch làm việc thay đổi: Thêm ngày nghỉ 12/03/2026 — Nghỉ bầu cử",
                "Recalculated on 11/03/2026 because the working calendar changed: Removed make-up working day "
                "14/03/2026 — Làm bù"]
    stored = {"steps": [old_rule, read_rule, english_recount, "Một câu lạ."], "confidence": "U",
              "note": "Deadline recalculated from the time of transfer to UBND xã Đông Hưng."}
    data = migration.to_data(stored)
    assert data["steps"] == [
        {"code": "rule", "book": "QĐ 1430/2017", "label": "Cung cấp thông tin", "amount": 5, "unit": "working_days",
         "basis": "internal"},
        {"code": "rule", "book": "NĐ 09/2017 — Luật Báo chí 2016", "label": "Cung cấp thông tin", "amount": 5,
         "unit": "working_days", "basis": "source", "source": "Luật Báo chí 2016, Điều 39"},
        {"code": "recomputed", "on": "2026-03-11", "reason": "Thêm ngày nghỉ"},
        {"code": "text", "text": "Một câu lạ."},
    ]
    assert data["note"] == {"code": "transferred", "unit": "UBND xã Đông Hưng"}
    assert [migration.step_to_data(step, stored) for step in recounts] == [
        RECOUNT, {"code": "recomputed", "on": "2026-03-11", "change": "removed", "kind": "working_day",
                  "day": "2026-03-14", "reason": "Làm bù"}]
    assert render_step(RECOUNT) == migration.step_to_text(RECOUNT) == recounts[0]
    assert render_steps(data["steps"])[0] == ("Áp dụng QĐ 1430/2017: Cung cấp thông tin — 5 ngày làm việc "
                                              "(chỉ tiêu nội bộ của đơn vị).")
    notes = ["Đã gia hạn thêm 3 ngày làm việc; lý do: Chờ số liệu",
             "Thời hạn tính lại từ thời điểm tiếp nhận ban đầu sau khi đổi loại yêu cầu.", "Ghi chú khác"]
    converted = [migration.note_to_data(note) for note in notes]
    assert converted == [{"code": "extended", "n": 3, "unit": "working_days", "reason": "Chờ số liệu"},
                         {"code": "reclassified"}, "Ghi chú khác"]
    assert [render_note(note) for note in converted] == notes
    assert [migration.note_to_text(note) for note in converted] == notes
    assert migration.to_data({}) == {}
