"""flask --app spokes report --unit CODE --from DATE --to DATE --format xlsx|csv|docx --output FILE."""

from __future__ import annotations

import csv
import io

import pytest
from docx import Document
from openpyxl import load_workbook


def _run(runner, *args: str):
    return runner.invoke(args=["report", *args])


def test_xlsx(runner, report_data, tmp_path):
    out = tmp_path / "am.xlsx"
    result = _run(runner, "--unit", "AM", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "xlsx",
                  "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "20 yêu cầu" in result.output
    wb = load_workbook(out)
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tổng số yêu cầu tiếp nhận trong kỳ"] == 20
    assert summary["Trả lời quá hạn"] == 3


def test_csv_with_vietnamese_dates_and_a_single_unit_subtree(runner, report_data, tmp_path):
    out = tmp_path / "vk.csv"
    result = _run(runner, "--unit", "AM-VK", "--from", "01/01/2026", "--to", "31/03/2026", "--format", "csv",
                  "--output", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    figures = {r[2]: r[4] for r in rows if r[0] == "Tổng hợp"}
    assert figures["Tổng số yêu cầu tiếp nhận trong kỳ"] == "6"


def test_csv_request_list(runner, report_data, tmp_path):
    out = tmp_path / "list.csv"
    result = _run(runner, "--unit", "AM", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "csv",
                  "--table", "requests", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 21


def test_docx(runner, report_data, tmp_path):
    out = tmp_path / "am.docx"
    result = _run(runner, "--unit", "AM", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "docx",
                  "--output", str(out), "--place", "Thứ Mười Một")
    assert result.exit_code == 0, result.output
    doc = Document(str(out))
    cells = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells[1]
    assert cells[3] == "Thứ Mười Một, ngày 15 tháng 4 năm 2026"


def test_default_period_is_the_current_year(runner, report_data, tmp_path):
    out = tmp_path / "year.xlsx"
    result = _run(runner, "--unit", "AM", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "từ 01/01/2026 đến 31/12/2026" in result.output and "21 yêu cầu" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--unit", "XX", "--format", "csv"], "không có đơn vị mã 'XX'"),
    (["--unit", "AM", "--from", "2026-13-01", "--format", "csv"], "--from '2026-13-01'"),
    (["--unit", "AM", "--to", "hôm qua", "--format", "csv"], "--to 'hôm qua'"),
    (["--unit", "AM", "--from", "2026-03-01", "--to", "2026-01-01", "--format", "csv"], "Ngày bắt đầu"),
    (["--unit", "AM", "--from", "2015-01-01", "--to", "2026-01-01", "--format", "csv"], "tối đa 5 năm"),
    (["--unit", "AM", "--format", "pdf"], "pdf"),
])
def test_errors_exit_with_code_2(runner, report_data, tmp_path, args, message):
    out = tmp_path / "x.out"
    result = _run(runner, *args, "--output", str(out))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_missing_directory_and_missing_options(runner, report_data, tmp_path):
    result = _run(runner, "--unit", "AM", "--format", "csv", "--output", str(tmp_path / "nope" / "x.csv"))
    assert result.exit_code == 2 and "không tồn tại" in result.output
    result = _run(runner, "--unit", "AM", "--format", "csv")
    assert result.exit_code == 2 and "--output" in result.output
