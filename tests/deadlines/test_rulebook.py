"""Rulebook selection, the seeded rulebooks and extension checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from spokes.deadlines.calendar import WorkCalendar
from spokes.deadlines.engine import TimeUnit
from spokes.deadlines.explain import render_step
from spokes.deadlines.rulebook import (
    REQUEST_TYPES,
    ExtensionNotAllowed,
    NoRulebook,
    RulebookSpec,
    RuleSpec,
    UnknownRule,
    evaluate,
    load_seed_json,
    load_seed_rulebooks,
    select_rulebook,
    validate_extension,
)

BOOKS = tuple(b for b in load_seed_rulebooks() if b.scope_unit_code is None)  # national books
LAYERS = tuple(b for b in load_seed_rulebooks() if b.scope_unit_code is not None)
OLD, NEW = (next(b for b in BOOKS if b.code == code) for code in ("qd1430-2017", "lbc2025-nd237"))


def _rule(**overrides: object) -> RuleSpec:
    base: dict[str, object] = dict(
        request_type="information", amount=5, unit=TimeUnit.WORKING_DAYS, label_vi="Cung cấp thông tin",
        citation_text="", citation_source="", confidence="U",
        extension_allowed=True, extension_max_amount=5,
    )
    return RuleSpec(**(base | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("received", "code"),
    [
        (datetime(2017, 1, 1, 0, 0), "qd1430-2017"),
        (datetime(2026, 6, 30, 23, 30), "qd1430-2017"),
        (datetime(2026, 6, 30, 16, 59, 59, tzinfo=UTC), "qd1430-2017"),  # 23:59:59 VN on 30/06
        (datetime(2026, 6, 30, 17, 0, tzinfo=UTC), "lbc2025-nd237"),  # 00:00 VN on 01/07
        (datetime(2026, 7, 1, 0, 10), "lbc2025-nd237"),
        (datetime(2040, 1, 1, 12, 0), "lbc2025-nd237"),
    ],
)
def test_select_rulebook_by_vietnamese_date(received: datetime, code: str) -> None:
    assert select_rulebook(BOOKS, received).code == code


def test_no_rulebook_before_2017_01_01() -> None:
    """The national rulebook starts when Luật Báo chí 2016 took effect (01/01/2017)."""
    with pytest.raises(NoRulebook):
        select_rulebook(BOOKS, datetime(2016, 12, 31, 23, 59))
    # 31/12/2016 17:00 UTC is 01/01/2017 00:00 in Vietnam: covered.
    assert select_rulebook(BOOKS, datetime(2016, 12, 31, 17, 0, tzinfo=UTC)).code == "qd1430-2017"


def test_overlapping_rulebooks_prefer_later_valid_from() -> None:
    newer = RulebookSpec("local-2026", "Quy chế địa phương", date(2026, 3, 1), None, OLD.rules)
    assert select_rulebook([*BOOKS, newer], datetime(2026, 5, 1, 9, 0)).code == "local-2026"
    assert select_rulebook([*BOOKS, newer], datetime(2026, 2, 1, 9, 0)).code == "qd1430-2017"


def test_seed_json_shape() -> None:
    raw = load_seed_json()
    books = {b["code"]: b for b in raw["rulebooks"]}
    assert books["qd1430-2017"]["name"] == "NĐ 09/2017 — Luật Báo chí 2016"
    assert books["lbc2025-nd237"]["name"] == "Luật Báo chí 2025 — NĐ 237/2026"
    assert [g["code"] for g in books["qd1430-2017"]["refusal_grounds"]] == ["a", "b", "c", "d"]
    assert books["qd1430-2017"]["refusal_grounds"][3]["confidence"] == "U"
    assert [g["code"] for g in books["lbc2025-nd237"]["refusal_grounds"]] == ["a", "b", "c"]
    assert books["lbc2025-nd237"]["press_conference_notice_hours"] == 24
    assert "Điều 22 khoản 3" in books["lbc2025-nd237"]["press_conference_notice_citation"]
    assert books["qd1430-2017"]["press_conference_notice_hours"] == 24
    assert "Điều 41" in books["qd1430-2017"]["press_conference_notice_citation"]


def test_seeded_validity() -> None:
    assert (OLD.valid_from, OLD.valid_to) == (date(2017, 1, 1), date(2026, 6, 30))
    assert (NEW.valid_from, NEW.valid_to) == (date(2026, 7, 1), None)


@pytest.mark.parametrize("book", BOOKS, ids=[b.code for b in BOOKS])
@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_every_request_type_has_a_main_rule(book: RulebookSpec, request_type: str) -> None:
    rule = book.rule_for(request_type)
    assert rule.amount >= 1 and rule.confidence in {"Q", "S", "U"}
    assert rule.label_vi and rule.citation_text and rule.citation_source
    assert rule.escalate_after_working_days == 2
    # Reminders in hours are out of scope; day rules remind 3 and 1 working days ahead.
    assert rule.reminder_offsets == (() if rule.unit is TimeUnit.HOURS else (3, 1))


@pytest.mark.parametrize(
    ("book", "request_type", "milestone", "amount", "unit", "confidence"),
    [
        (OLD, "information", "main", 5, TimeUnit.WORKING_DAYS, "U"),
        (OLD, "press_answer", "main", 30, TimeUnit.CALENDAR_DAYS, "S"),
        (OLD, "forwarded_feedback", "main", 30, TimeUnit.CALENDAR_DAYS, "S"),
        (OLD, "forwarded_complaint", "main", 30, TimeUnit.CALENDAR_DAYS, "S"),
        (OLD, "forwarded_denunciation", "main", 30, TimeUnit.CALENDAR_DAYS, "S"),
        (OLD, "emergency", "main", 24, TimeUnit.HOURS, "U"),
        (NEW, "press_answer", "main", 30, TimeUnit.CALENDAR_DAYS, "S"),
        (NEW, "forwarded_feedback", "main", 15, TimeUnit.WORKING_DAYS, "S"),
        (NEW, "forwarded_complaint", "main", 10, TimeUnit.CALENDAR_DAYS, "S"),
        (NEW, "forwarded_complaint", "conclusion", 5, TimeUnit.WORKING_DAYS, "S"),
        # Luật Tố cáo 2018's acceptance period was not read: recalled, so unverified (law.md).
        (NEW, "forwarded_denunciation", "main", 7, TimeUnit.WORKING_DAYS, "U"),
        (NEW, "forwarded_denunciation", "conclusion", 5, TimeUnit.WORKING_DAYS, "S"),
        (NEW, "emergency", "main", 24, TimeUnit.HOURS, "U"),
    ],
)
def test_seeded_rule_values(
    book: RulebookSpec, request_type: str, milestone: str, amount: int, unit: TimeUnit, confidence: str
) -> None:
    rule = book.rule_for(request_type, milestone)
    assert (rule.amount, rule.unit, rule.confidence) == (amount, unit, confidence)


def test_quotes_from_rules_md_are_seeded() -> None:
    assert "Trong thời hạn 30 ngày kể từ ngày nhận được yêu cầu" in OLD.rule_for("press_answer").citation_text
    assert "15 ngày làm việc" in NEW.rule_for("forwarded_feedback").citation_text
    assert "chậm nhất là một (01) ngày" in NEW.rule_for("emergency").citation_text
    assert "Điều 18 khoản 4" in NEW.rule_for("forwarded_feedback").overdue_note_vi


def test_unknown_rule() -> None:
    with pytest.raises(UnknownRule):
        OLD.rule_for("forwarded_complaint", "conclusion")
    with pytest.raises(KeyError):
        NEW.rule_for("press_conference_notice")


def test_evaluate_conclusion_milestone() -> None:
    # Conclusion recorded Fri 04/09/2026: 5 T7, 6 CN; 7–11/09 = 1–5 → Fri 11/09/2026.
    result = evaluate(NEW, "forwarded_complaint", datetime(2026, 9, 4, 15, 0), WorkCalendar(), "conclusion")
    assert result.due_date == date(2026, 9, 11)
    assert result.steps[1]["code"] == "rule" and "confidence" not in result.steps[1]
    assert "(NĐ 237/2026/NĐ-CP, Điều 18 khoản 2)" in render_step(result.steps[1])
    assert "độ tin cậy" not in render_step(result.steps[1])


def test_seeded_extension_policy() -> None:
    for book in BOOKS:
        for request_type in ("information", "interview"):
            rule = book.rule_for(request_type)
            assert (rule.extension_allowed, rule.extension_max_amount, rule.extension_reason_required) == (
                True, 5, True,
            )
        for rule in book.rules:
            if rule.request_type not in ("information", "interview"):
                assert not rule.extension_allowed


def test_validate_extension() -> None:
    rule = _rule()
    validate_extension(rule, 5, 0)
    validate_extension(rule, 2, 3, reason="Cần xin ý kiến Sở")
    with pytest.raises(ExtensionNotAllowed) as exc:
        validate_extension(rule, 3, 3)
    assert "vượt quá mức tối đa 5 ngày làm việc" in exc.value.message_vi
    with pytest.raises(ExtensionNotAllowed):
        validate_extension(rule, 0, 0)
    with pytest.raises(ExtensionNotAllowed):
        validate_extension(rule, 1, 0, reason="  ")
    with pytest.raises(ExtensionNotAllowed, match="không cho phép gia hạn"):
        validate_extension(NEW.rule_for("press_answer"), 1, 0)
    with pytest.raises(ExtensionNotAllowed):
        validate_extension(OLD.rule_for("emergency"), 1, 0)


def test_rule_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError):
        _rule(confidence="X")


def test_complaints_and_denunciations_have_their_own_clocks() -> None:
    # Received Tue 06/10/2026 under the 2025 book: a complaint's acceptance runs 10 calendar days
    # (Luật Khiếu nại 2011, Điều 27), a denunciation's 7 working days (Luật Tố cáo 2018, unverified).
    received = datetime(2026, 10, 6, 9, 0)
    complaint = evaluate(NEW, "forwarded_complaint", received, WorkCalendar())
    denunciation = evaluate(NEW, "forwarded_denunciation", received, WorkCalendar())
    assert complaint.due_date == date(2026, 10, 16)
    assert denunciation.due_date == date(2026, 10, 15)
    # Before 01/07/2026 both follow Law 2016 Điều 39: 30 days.
    assert evaluate(OLD, "forwarded_denunciation", datetime(2026, 3, 2, 9, 0), WorkCalendar()).due_date == date(2026, 4, 1)


def test_the_denunciation_conclusion_goes_to_the_press_within_five_working_days() -> None:
    # Conclusion dated Thu 15/10/2026: 16 (F), 19, 20, 21, 22 → Thu 22/10/2026 (ND 237 Điều 18(2)).
    result = evaluate(NEW, "forwarded_denunciation", datetime(2026, 10, 15, 0, 0), WorkCalendar(), "conclusion")
    assert result.due_date == date(2026, 10, 22)
    with pytest.raises(UnknownRule):
        OLD.rule_for("forwarded_denunciation", "conclusion")
