"""The `flask deadline TYPE RECEIVED_AT [--json]` command."""

from __future__ import annotations

import json

import pytest


def run(runner, *args: str):
    return runner.invoke(args=["deadline", *args])


def run_json(runner, *args: str) -> dict:
    """Run the command with --json; it must succeed. Return what it printed, parsed."""
    result = run(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_output_has_every_field(runner, rulebooks):
    data = run_json(runner, "information", "2026-04-29T09:30")
    # 5 working days from Wed 29/04/2026: 30/04 and 01/05 are holidays, 02–03/05 the weekend,
    # so Mon 04, Tue 05, Wed 06, Thu 07, Fri 08/05.
    assert data["due_at"] == "2026-05-08T23:59:59+07:00"
    assert data["due_at"].endswith("+07:00")
    assert data["received_at"] == "2026-04-29T09:30:00+07:00"
    assert data["rulebook"] == "NĐ 09/2017 — Luật Báo chí 2016"
    assert data["rule"] == "Cung cấp thông tin, tài liệu cho báo chí"
    assert data["citation"]["source"] == "Chỉ tiêu nội bộ của đơn vị" and data["citation"]["text"]
    assert data["confidence"] == "U"
    assert data["skipped_days"] == [
        {"date": "2026-04-30", "name": "Ngày Chiến thắng"},
        {"date": "2026-05-01", "name": "Ngày Quốc tế Lao động"},
        {"date": "2026-05-02", "name": "Thứ Bảy"},
        {"date": "2026-05-03", "name": "Chủ nhật"},
    ]


def test_json_reads_an_offset_and_picks_the_rulebook_by_vietnamese_date(runner, rulebooks):
    # 30/06 20:00 UTC is 01/07/2026 03:00 in Vietnam: the 2025 law already applies.
    data = run_json(runner, "forwarded_feedback", "2026-06-30T20:00:00Z")
    assert data["rulebook_code"] == "lbc2025-nd237"
    assert data["confidence"] == "S" and data["statutory"] is True
    assert data["citation"]["source"] == "NĐ 237/2026/NĐ-CP, Điều 18 khoản 3"
    # 15 working days from Wed 01/07/2026 (no holiday in July): Thu 02/07 … Wed 22/07.
    assert data["due_at"] == "2026-07-22T23:59:59+07:00"


def test_readable_output_explains_in_vietnamese(runner, rulebooks):
    # 30 calendar days from Wed 01/04/2026 end on Fri 01/05, a holiday; then the weekend → Mon 04/05.
    result = run(runner, "press_answer", "2026-04-01T10:00")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Hạn chót: 23:59:59 ngày 04/05/2026" in out
    assert "Bộ quy tắc: NĐ 09/2017 — Luật Báo chí 2016" in out
    assert "Luật Báo chí 103/2016/QH13, Điều 39" in out
    assert "độ tin cậy S" in out
    assert "Bỏ qua 01/05/2026 — Ngày Quốc tế Lao động." in out
    assert "Điều 148" in out
    assert not out.lstrip().startswith("{")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("inquiry", "2026-04-29T09:30"), "loại yêu cầu không hợp lệ"),
        (("information", "29/04/2026"), "không đúng ISO 8601"),
        (("information", "2026-13-45T09:30", "--json"), "không đúng ISO 8601"),
        (("information", "2016-01-01T09:30"), "không có bộ quy tắc"),
    ],
)
def test_errors_exit_with_code_2_and_a_clear_message(runner, rulebooks, args, message):
    result = run(runner, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
