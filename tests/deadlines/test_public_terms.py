"""The public calculator attaches legal consequences and legal extensions to deadlines the law sets,
never to an internal target; the shipped law cites only what was read (QA, December 2026)."""

from __future__ import annotations

from typing import Any

import pytest

from spokes.deadlines.explain import render_step
from spokes.deadlines.rulebook import load_seed_rulebooks, public_explanation, public_terms

BOOKS = {b.code: b for b in load_seed_rulebooks()}
OLD, NEW = BOOKS["qd1430-2017"], BOOKS["lbc2025-nd237"]


def calculate(client: Any, **query: str) -> str:
    response = client.get("/deadline", query_string={"received_date": "05/12/2026", "received_time": "08:00", **query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _result(page: str) -> str:
    return page[page.index('id="result-title"'):page.index("</section>", page.index('id="result-title"'))]


def test_an_internal_target_carries_no_legal_consequence(client, rulebooks):
    result = _result(calculate(client, type="forwarded_denunciation"))
    assert "Chỉ tiêu nội bộ của đơn vị" in result and "15/12/2026 23:59:59" in result
    assert "Nếu quá hạn" not in result and "Điều 18 khoản 4" not in result
    assert "cơ quan báo chí có quyền kiến nghị" not in result


def test_an_internal_target_extension_is_the_units_own_not_the_laws(client, rulebooks):
    result = _result(calculate(client, type="information"))
    assert "Được gia hạn tối đa" not in result
    assert ("Đơn vị có thể tự gia hạn chỉ tiêu nội bộ này thêm tối đa 5 ngày làm việc, có nêu lý do; "
            "đây không phải quy định của pháp luật.") in result
    emergency = _result(calculate(client, type="emergency"))
    assert "Không được gia hạn." not in emergency and "Đơn vị không gia hạn chỉ tiêu nội bộ này." in emergency


def test_a_deadline_the_law_sets_keeps_its_consequence_and_terms(client, rulebooks):
    result = _result(calculate(client, type="forwarded_feedback"))
    assert "Thời hạn theo quy định" in result and "Nếu quá hạn" in result and "Điều 18 khoản 4" in result
    assert "Không được gia hạn." in _result(calculate(client, type="press_answer"))


@pytest.mark.parametrize(("statutory", "confidence", "law"), [(True, "S", True), (True, "Q", True),
                                                              (True, "U", False), (False, "S", False)])
def test_public_terms(statutory: bool, confidence: str, law: bool) -> None:
    terms = public_terms(statutory, confidence, extension_allowed=True, extension_max_amount=3, overdue_note="Quá hạn.")
    assert terms == {"statutory": law, "extension": "law" if law else "internal", "extension_max_amount": 3,
                     "overdue_note": "Quá hạn." if law else ""}
    assert public_terms(statutory, confidence, extension_allowed=False, extension_max_amount=0,
                        overdue_note="")["extension"] == "none"


def test_the_public_reads_no_library_name_in_an_estimated_deadline(client, rulebooks):
    # 30 days from 05/12/2026 end in January 2027, a year whose days off are not announced yet.
    page = calculate(client, type="press_answer")
    assert "dự kiến" in page
    assert "holidays" not in page and "thư viện" not in page
    assert ("Lịch nghỉ năm 2027 chưa được công bố chính thức: ngày nghỉ là dự kiến, hạn chót có thể thay đổi."
            in page)


def test_staff_keep_the_estimated_step_as_stored_and_the_public_gets_its_own_wording() -> None:
    step = {"code": "estimated", "years": [2027]}
    public = next(s for s in public_explanation({"confidence": "S", "statutory": True, "steps": [step]})["steps"])
    assert "holidays" in render_step(step)  # the sentence staff and stored explanations read
    assert render_step(public) == ("Lịch nghỉ năm 2027 chưa được công bố chính thức: ngày nghỉ là dự kiến, "
                                   "hạn chót có thể thay đổi.")


def test_every_statutory_rule_shipped_has_a_read_source() -> None:
    # An unverified figure (U) is never shipped as a deadline the law sets: it is an internal target.
    for book in (OLD, NEW):
        for rule in book.rules:
            assert not (rule.statutory and rule.confidence == "U"), (book.code, rule.request_type, rule.milestone)
            if not rule.statutory:
                assert rule.citation_source.startswith("Chỉ tiêu nội bộ của đơn vị"), rule.request_type
                assert not rule.overdue_note_vi.startswith("Đã quá hạn: cơ quan báo chí có quyền"), rule.request_type


def test_the_2025_emergency_target_does_not_rest_on_the_decree_it_replaced() -> None:
    rule = NEW.rule_for("emergency")
    assert not rule.statutory and rule.confidence == "U"
    assert "NĐ 09/2017" not in rule.citation_source
    assert "áp dụng đến 30/06/2026" in rule.citation_text and "NĐ 237/2026" in rule.citation_text
    assert "NĐ 09/2017/NĐ-CP, Điều 6" in OLD.rule_for("emergency").citation_source  # in force until 30/06/2026


def test_every_shipped_rule_label_reads_in_english():
    """Shipped labels are translated on English pages; a unit's own label is shown as written."""
    import json
    from pathlib import Path

    from babel.messages.pofile import read_po

    from spokes.deadlines.explain import SHIPPED_RULE_LABELS, rule_label

    root = Path(__file__).resolve().parents[2] / "spokes"
    shipped = json.loads((root / "deadlines" / "rulebooks.json").read_text(encoding="utf-8"))
    labels = {rule["label_vi"] for book in shipped["rulebooks"] for rule in book["rules"]}
    assert labels <= SHIPPED_RULE_LABELS
    with (root / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    english = {label: catalogue.get(label).string for label in labels}
    assert all(text and text != label for label, text in english.items()), english
    assert rule_label("Nhãn do đơn vị tự đặt", lambda text: "TRANSLATED") == "Nhãn do đơn vị tự đặt"
    assert rule_label("Cung cấp thông tin, tài liệu cho báo chí", str.upper) == "CUNG CẤP THÔNG TIN, TÀI LIỆU CHO BÁO CHÍ"
