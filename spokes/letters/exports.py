"""Files of the letters feature: the issued DOCX's name and the register as a spreadsheet."""

from __future__ import annotations

import io
import re
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from spokes.letters.models import Letter
from spokes.units.models import Unit

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

REGISTER_COLUMNS = ("Số, ký hiệu", "Ngày văn bản", "Tên loại và trích yếu nội dung", "Người ký", "Nơi nhận",
                    "Yêu cầu", "Thay thế văn bản", "Ghi chú")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D")).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-") or "van-ban"


def file_name(letter: Letter) -> str:
    """Return the download name of an issued letter: 05-UBND-VP-2026.docx."""
    return f"{_slug(letter.number_and_symbol)}-{letter.year}.docx"


def register_file_name(unit: Unit, year: int | None) -> str:
    """Return the download name of a register export."""
    return f"so-van-ban-di-{_slug(unit.code)}{'-' + str(year) if year else ''}.xlsx"


def _text(value: str) -> str:
    """Keep a cell as text: a leading formula character is quoted so no spreadsheet evaluates it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def register_xlsx(unit: Unit, letters: list[Letter]) -> bytes:
    """Return the register of outgoing documents as the records officer keeps it (one row a letter)."""
    from spokes.letters.forms import KIND_LABELS

    wb = Workbook()
    ws = wb.active
    ws.title = "Sổ văn bản đi"
    ws.append([f"SỔ ĐĂNG KÝ VĂN BẢN ĐI — {unit.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(REGISTER_COLUMNS))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter in letters:
        ws.append([
            letter.number_and_symbol, letter.issued_on,
            _text(f"{str(KIND_LABELS.get(letter.kind, letter.kind))}: {letter.summary}"),
            _text(f"{letter.signer_position} {letter.signer_name}"),
            _text("; ".join(x for x in [letter.recipient, *letter.copies_to.splitlines()] if x)),
            letter.request.reference if letter.request else "",
            letter.replaces.number_and_symbol if letter.replaces else "", "",
        ])
        ws.cell(row=ws.max_row, column=2).number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFGH", (16, 13, 60, 30, 40, 22, 16, 16), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
