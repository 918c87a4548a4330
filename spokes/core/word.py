"""Word (python-docx) pieces shared by every document the site prints: letters and reports.

Administrative documents (NĐ 30/2020) are set in Times New Roman, and their header and footer are
tables without borders.
"""

from __future__ import annotations

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

FONT = "Times New Roman"


def set_font(run: Any, size: float, *, bold: bool = False, italic: bool = False,
             underline: bool | None = None) -> Any:
    """Set a run in the document font at ``size`` points and return it (``underline`` None: as the style says)."""
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    # East-Asian and complex-script fonts too, so Word never substitutes one for Vietnamese.
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for key in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(key), FONT)
    return run


def remove_table_borders(table: Any) -> None:
    """Remove every border of a table (the header and footer of an administrative document)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)
