"""Exports: XLSX, CSV and the DOCX report read back, and the formula-injection guard."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from spokes.extensions import db
from spokes.reports.docx import administrative_date, place_name, signer_title
from spokes.reports.exports import FORMULA_PREFIXES, csv_safe, is_formula_like

from .helpers import Q1

DANGEROUS = {
    "R1": '=HYPERLINK("http://evil.example","Bấm vào đây")',
    "R2": "+1+2",
    "R4": "-2+3",
    "R5": "@SUM(A1:A9)",
    "R12": "\tcmd",
    "R14": "\r=1+1",
}


@pytest.fixture()
def poisoned(report_data):
    """Give some requests, and a unit, names a spreadsheet would take for formulas."""
    for key, subject in DANGEROUS.items():
        report_data.requests[key].subject = subject
    report_data.units["vk"].name = "=cmd|' /C calc'!A0"
    db.session.commit()
    return report_data


def _download(client, fmt: str, extra: str = "") -> bytes:
    response = client.get(f"/staff/reports/export.{fmt}?{Q1}{extra}")
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


# --------------------------------------------------------------------------- the guard


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_csv_guard_prefixes_every_formula_start(prefix):
    assert csv_safe(prefix + "1+1") == "'" + prefix + "1+1"
    assert is_formula_like(prefix + "x")


def test_csv_guard_leaves_plain_text_and_numbers_alone():
    assert csv_safe("Tiến độ = 50%") == "Tiến độ = 50%"
    assert csv_safe(-5) == -5 and csv_safe(0.5) == 0.5
    assert csv_safe("") == "" and not is_formula_like(None)


# --------------------------------------------------------------------------- XLSX


def test_xlsx_reads_back_with_formats(client, login, report_data):
    login(report_data.users["overseer"])
    wb = load_workbook(io.BytesIO(_download(client, "xlsx")))
    assert wb.sheetnames == ["Tổng hợp", "Theo loại", "Theo kênh", "Theo tháng", "Xếp hạng đơn vị", "Quá hạn",
                             "Từ chối", "Chưa có người phát ngôn", "Danh sách yêu cầu"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(cell.font.bold for cell in ws[1]), ws.title
        assert ws.column_dimensions["A"].width >= 8, ws.title

    summary = {row[0].value: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=2)}
    assert summary["Tổng số yêu cầu tiếp nhận trong kỳ"].value == 20
    assert summary["Tổng số yêu cầu tiếp nhận trong kỳ"].number_format == "#,##0"
    assert summary["Trả lời đúng hạn"].value == 8
    assert summary["Tỷ lệ trả lời đúng hạn"].value == pytest.approx(8 / 11)
    assert summary["Tỷ lệ trả lời đúng hạn"].number_format == "0.0%"
    assert summary["Từ ngày"].value == datetime(2026, 1, 1)  # a real date, not text
    assert summary["Từ ngày"].number_format == "dd/mm/yyyy"
    assert summary["Thời gian trả lời, trung vị (ngày làm việc)"].value == 4
    assert summary["Đơn vị chưa công bố người phát ngôn"].value == 2
    assert wb["Tổng hợp"].column_dimensions["A"].width == 58

    by_type = {row[0]: row[2] for row in wb["Theo loại"].iter_rows(min_row=2, values_only=True)}
    assert by_type["information"] == 10 and by_type["emergency"] == 1
    months = list(wb["Theo tháng"].iter_rows(min_row=2))
    assert [r[0].value for r in months] == [datetime(2026, 1, 1), datetime(2026, 2, 1), datetime(2026, 3, 1)]
    assert months[0][0].number_format == "mm/yyyy" and [r[-1].value for r in months] == [7, 5, 8]
    ranking = list(wb["Xếp hạng đơn vị"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3], r[4], r[5]) for r in ranking] == [("AM", 1, 1, 1), ("AM-DHU", 12, 7, 6), ("AM-VK", 6, 2, 1),
                                                          ("AM-VHTT", 1, 1, 0)]
    assert [r[1] for r in wb["Quá hạn"].iter_rows(min_row=2, values_only=True)] == [1, 1, 2, 1]
    # Counts are headed as counts, not as the reference column ("Mã yêu cầu").
    assert next(wb["Quá hạn"].iter_rows(max_row=1, values_only=True))[1] == "Số yêu cầu"
    assert next(wb["Từ chối"].iter_rows(max_row=1, values_only=True))[-1] == "Số yêu cầu"

    listing = wb["Danh sách yêu cầu"]
    rows = {r[0].value: r for r in listing.iter_rows(min_row=2)}
    assert len(rows) == 20 and "T-R11" not in rows and "T-R13" not in rows
    r12 = rows["T-R12"]
    assert r12[6].value == datetime(2026, 1, 1, 0, 30)  # Vietnamese wall-clock time
    assert r12[6].number_format == "dd/mm/yyyy hh:mm"
    assert r12[10].value == 4  # working days (Fri 02/01/2026 off under CV 12729/VPCP-KGVX)
    assert rows["T-R5"][11].value == "Có"  # extended


def test_xlsx_stores_formula_like_text_as_text(client, login, poisoned):
    login(poisoned.users["overseer"])
    wb = load_workbook(io.BytesIO(_download(client, "xlsx")))
    subjects = {r[0].value: r[13] for r in wb["Danh sách yêu cầu"].iter_rows(min_row=2)}
    for key, text in DANGEROUS.items():
        cell = subjects[f"T-{key}"]
        assert cell.data_type == "s", key
        assert cell.quotePrefix, key
        assert cell.value == text, key
    unit_cell = next(r[2] for r in wb["Xếp hạng đơn vị"].iter_rows(min_row=2) if r[1].value == "AM-VK")
    assert unit_cell.data_type == "s" and unit_cell.quotePrefix and unit_cell.value.startswith("=cmd")
    # Nothing anywhere in the workbook is a formula.
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


# --------------------------------------------------------------------------- CSV


def test_csv_summary_has_bom_and_reads_back(client, login, report_data):
    login(report_data.users["overseer"])
    data = _download(client, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Mục", "Đơn vị", "Chỉ tiêu", "Mã", "Giá trị"]
    figures = {(r[0], r[2]): r[4] for r in rows[1:]}
    assert figures[("Tổng hợp", "Tổng số yêu cầu tiếp nhận trong kỳ")] == "20"
    assert figures[("Tổng hợp", "Tỷ lệ trả lời đúng hạn")] == "72.7"
    assert figures[("Tổng hợp", "Từ ngày")] == "01/01/2026"
    assert figures[("Theo loại yêu cầu", "Đề nghị phỏng vấn")] == "4"
    per_unit = {(r[1], r[3]): r[4] for r in rows if r[0] == "Theo đơn vị"}
    assert per_unit[("UBND xã Đông Hưng", "AM-DHU/on_time")] == "6"


def test_csv_request_list_guards_formula_text(client, login, poisoned):
    login(poisoned.users["overseer"])
    data = _download(client, "csv", "&table=requests")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 21
    subjects = {r[0]: r[13] for r in rows[1:]}
    for key, text in DANGEROUS.items():
        assert subjects[f"T-{key}"] == "'" + text, key
    units = {r[0]: r[2] for r in rows[1:]}
    assert units["T-R14"] == "'=cmd|' /C calc'!A0"
    assert rows[1][6].count("/") == 2  # dd/mm/yyyy HH:MM
    summary = _download(client, "csv").decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in summary and "\n=cmd" not in summary and ",=cmd" not in summary


# --------------------------------------------------------------------------- DOCX


def _cell_texts(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_docx_has_the_administrative_parts(client, login, report_data):
    login(report_data.users["overseer"])
    doc = Document(io.BytesIO(_download(client, "docx")))
    header, footer = doc.tables[0], doc.tables[-1]
    (left, right), (number, dated) = _cell_texts(header)
    assert left.splitlines() == ["ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG", "ỦY BAN NHÂN DÂN HUYỆN AN MINH"]
    assert right.splitlines() == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    motto = header.rows[0].cells[1].paragraphs[1].runs[0]
    assert motto.bold and motto.underline
    assert header.rows[0].cells[1].paragraphs[0].runs[0].bold
    assert number.startswith("Số:") and number.endswith("/BC-UBND")
    assert dated == "An Minh, ngày 15 tháng 4 năm 2026"
    assert header.rows[1].cells[1].paragraphs[0].runs[0].italic

    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO\nCông tác phát ngôn và cung cấp thông tin cho báo chí" in body
    assert "(Từ ngày 01/01/2026 đến ngày 31/03/2026)" in body
    assert "tiếp nhận 20 yêu cầu" in body and "8 yêu cầu đúng hạn (72,7%)" in body
    assert "trung vị 4 ngày" in body
    type_table = _cell_texts(doc.tables[1])
    assert type_table[0] == ["STT", "Loại yêu cầu", "Số lượng", "Tỷ lệ"]
    assert type_table[1][1:3] == ["Cung cấp thông tin, tài liệu", "10"]

    (recipients, signature), = _cell_texts(footer)
    assert recipients.splitlines()[0] == "Nơi nhận:"
    assert "- Lưu: VT." in recipients
    lines = [line for line in signature.splitlines() if line]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn Huyện"]
    assert footer.rows[0].cells[0].paragraphs[0].runs[0].bold

    for layout in (header, footer):  # borderless two-column tables
        borders = layout._tbl.tblPr.find(qn("w:tblBorders"))
        assert borders is not None and {b.get(qn("w:val")) for b in borders} == {"nil"}
        assert len(layout.columns) == 2
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert {r.font.name for p in doc.paragraphs for r in p.runs} == {"Times New Roman"}
    assert {r.font.size.pt for p in doc.paragraphs for r in p.runs} <= {13.0, 14.0}


def _unit_docx(client, login, report_data, unit: str) -> tuple[list[str], str, str, list[str]]:
    """The overseer's DOCX report of one unit: the lines of its issuer, its number, its date line, its signature."""
    login(report_data.users["overseer"])
    doc = Document(io.BytesIO(_download(client, "docx", f"&unit={report_data.units[unit].id}")))
    (left, _right), (number, dated) = _cell_texts(doc.tables[0])
    (_recipients, signature), = _cell_texts(doc.tables[-1])
    return left.splitlines(), number, dated, [line for line in signature.splitlines() if line]


def test_docx_of_a_department(client, login, report_data):
    issuer, number, dated, signature = _unit_docx(client, login, report_data, "vhtt")
    assert issuer == ["ỦY BAN NHÂN DÂN HUYỆN AN MINH", "PHÒNG VĂN HÓA VÀ THÔNG TIN HUYỆN AN MINH"]
    assert number.endswith("/BC-AM-VHTT") and dated.startswith("An Minh, ngày")
    assert signature[0] == "THỦ TRƯỞNG ĐƠN VỊ"


def test_docx_of_a_unit_without_head_designation(client, login, report_data):
    issuer, number, dated, signature = _unit_docx(client, login, report_data, "vk")
    assert issuer == ["ỦY BAN NHÂN DÂN HUYỆN AN MINH", "UBND XÃ VÂN KHÁNH"]
    assert number.endswith("/BC-UBND") and dated.startswith("Vân Khánh, ngày 15 tháng 4 năm 2026")
    assert signature[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert signature[-1] == "……………………"  # no head designation: the name is left to fill in


def test_docx_helpers(report_data):
    assert administrative_date("An Minh", datetime(2026, 2, 5).date()) == "An Minh, ngày 05 tháng 02 năm 2026"
    assert administrative_date("An Minh", datetime(2026, 11, 20).date()) == "An Minh, ngày 20 tháng 11 năm 2026"
    assert signer_title("Chủ tịch UBND xã Đông Hưng") == "CHỦ TỊCH"
    assert signer_title("Trưởng phòng Văn hóa và Thông tin") == "TRƯỞNG PHÒNG VĂN HÓA VÀ THÔNG TIN"
    assert signer_title(None) == "THỦ TRƯỞNG ĐƠN VỊ"
    assert signer_title(None, peoples_committee=True) == "CHỦ TỊCH"
    assert place_name(report_data.units["vhtt"]) == "An Minh"  # a district department dates as its district
    assert place_name(report_data.units["dhu"]) == "Đông Hưng"
    assert place_name(report_data.units["province"]) == "Kiên Giang"


def test_unknown_export_format_is_404(client, login, report_data):
    login(report_data.users["overseer"])
    assert client.get(f"/staff/reports/export.pdf?{Q1}").status_code == 404
    assert client.get("/staff/reports/export.xlsx?from=2026-05-01&to=2026-01-01").status_code == 400


def test_xlsx_points_to_the_csv_list_when_the_period_is_too_big(client, login, report_data, monkeypatch):
    from spokes.reports import exports

    monkeypatch.setattr(exports, "XLSX_REQUEST_LIMIT", 19)
    login(report_data.users["overseer"])
    wb = load_workbook(io.BytesIO(_download(client, "xlsx")))
    rows = list(wb["Danh sách yêu cầu"].iter_rows(values_only=True))
    assert len(rows) == 2 and "20 yêu cầu" in rows[1][0] and "CSV (danh sách yêu cầu)" in rows[1][0]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Tổng số yêu cầu tiếp nhận trong kỳ"] == 20  # the figures are all there


def test_csv_list_streams_in_chunks(report_data):
    from spokes.reports.exports import requests_csv_chunks
    from spokes.reports.services import Period, ReportScope, build_report

    from .conftest import PERIOD

    report = build_report(ReportScope.of_unit(report_data.units["district"]), Period(*PERIOD))
    chunks = list(requests_csv_chunks(report, rows_per_chunk=6))
    assert len(chunks) == 4  # 6 + 6 + 6 + 2 rows
    assert chunks[0].startswith(b"\xef\xbb\xbf") and not any(c.startswith(b"\xef\xbb\xbf") for c in chunks[1:])
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 21


# --------------------------------------------------------------------------- issue 17: one writer, separators


@pytest.mark.parametrize("cell", ["abc;=2+3;x", "abc,=2+3", "a; +1", "x;@SUM(A1)", 'a;"=1', "a,-2"])
def test_a_formula_after_a_separator_is_neutralised_and_the_cell_quoted(cell):
    import csv as csv_module
    import io as io_module

    from spokes.units.imports import to_csv
    from spokes.core.spreadsheet import csv_bytes, restore

    for data in (csv_bytes(["h"], [[cell]]), to_csv(["h"], [[cell]])):
        text = data.decode("utf-8-sig")
        assert f'"\'{cell}"'.replace('"=1', '""=1') in text, text  # quoted, with the apostrophe inside
        # Read back as Excel with ";" as the separator would: still one cell, never a formula.
        for delimiter in (",", ";"):
            (value,) = list(csv_module.reader(io_module.StringIO(text), delimiter=delimiter))[1]
            assert value.startswith("'") and restore(value) == cell


def test_ordinary_text_and_numbers_are_left_alone_by_the_one_writer():
    from spokes.core.spreadsheet import csv_bytes

    text = csv_bytes(["a", "b", "c"], [["Tiến độ = 50%", -5, None]]).decode("utf-8-sig")
    assert text.splitlines()[1] == '"Tiến độ = 50%","-5",""'
