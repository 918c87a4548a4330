"""The periodic report "Báo cáo công tác phát ngôn và cung cấp thông tin cho báo chí" as DOCX.

Laid out as a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I):
A4, Times New Roman; a borderless two-column header with the issuing body (superior and
unit, the number and symbol "Số: …/BC-…") on the left and the national title and motto,
then place and date, on the right; the title; the figures and tables; and a borderless
two-column footer with "Nơi nhận:" on the left and the signature block on the right.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from sqlalchemy import select

from spokes.admin.models import SiteSetting
from spokes.core.word import FONT, remove_table_borders, set_font
from spokes.deadlines.calendar import VN_TZ
from spokes.extensions import db
from spokes.press_requests.labels import channel_label, type_label
from spokes.reports.services import Report, report_signer
from spokes.units.models import Unit, UnitKind

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
PLACE_SETTING = "report_place"  # SiteSetting key an admin may set to override the derived place name

_PEOPLES_COMMITTEE = re.compile(r"^(ủy|uỷ) ban nhân dân\s+|^ubnd\s+", re.IGNORECASE)
_LEVEL = re.compile(r"^(tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn|đặc khu)\s+", re.IGNORECASE)
_PLACE_KINDS = {UnitKind.PROVINCE.value, UnitKind.DISTRICT.value, UnitKind.COMMUNE.value, UnitKind.WARD.value,
                UnitKind.SPECIAL_ZONE.value}


def is_peoples_committee(unit: Unit) -> bool:
    """Return whether the unit is a People's Committee (its documents are signed "TM. ỦY BAN NHÂN DÂN")."""
    return bool(_PEOPLES_COMMITTEE.match(unit.name.strip()))


def place_name(unit: Unit) -> str:
    """Return the place name (địa danh) a unit dates its documents with.

    An admin setting ``report_place`` wins. Otherwise the nearest commune, district or
    province at or above the unit gives it, without its "Ủy ban nhân dân huyện" prefix
    (a district department writes "An Minh", as its district does).
    """

    setting = db.session.get(SiteSetting, PLACE_SETTING)
    if setting is not None and setting.value.strip():
        return setting.value.strip()
    ids = [int(part) for part in unit.path.strip("/").split("/") if part.isdigit()]
    chain = {u.id: u for u in db.session.execute(select(Unit).where(Unit.id.in_(ids))).scalars()} if ids else {}
    for unit_id in reversed(ids):
        candidate = chain.get(unit_id)
        if candidate is not None and candidate.kind in _PLACE_KINDS:
            return _LEVEL.sub("", _PEOPLES_COMMITTEE.sub("", candidate.name.strip()), count=1).strip()
    return _LEVEL.sub("", _PEOPLES_COMMITTEE.sub("", unit.name.strip()), count=1).strip()


def administrative_date(place: str, day: date) -> str:
    """Return "An Minh, ngày 05 tháng 02 năm 2026": days below 10 and months 1 and 2 take a leading zero (NĐ 30)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def symbol_of(unit: Unit) -> str:
    """Return the unit's abbreviation in the document symbol (UBND for a People's Committee)."""
    return "UBND" if is_peoples_committee(unit) else unit.reference_prefix


def signer_title(title: str | None, *, peoples_committee: bool = False) -> str:
    """Return the signer's position as written above the signature ("Chủ tịch UBND xã X" → "CHỦ TỊCH").

    Without a head designation: "CHỦ TỊCH" for a People's Committee, "THỦ TRƯỞNG ĐƠN VỊ" otherwise.
    """
    if not title:
        return _("CHỦ TỊCH") if peoples_committee else _("THỦ TRƯỞNG ĐƠN VỊ")
    cut = re.split(r"\s+(?:UBND|(?:Ủy|Uỷ) ban nhân dân)\b", title.strip(), maxsplit=1, flags=re.IGNORECASE)[0]
    return (cut or title).strip().upper()


# --------------------------------------------------------------------------- python-docx helpers


def _para(container: Any, text: str = "", size: float = 14, *, bold: bool = False, italic: bool = False,
          underline: bool = False, align: Any = None, indent: bool = False, after: float = 0, before: float = 0,
          first: bool = False) -> Any:
    paragraph = container.paragraphs[0] if first else container.add_paragraph()
    if text:
        set_font(paragraph.add_run(text), size, bold=bold, italic=italic, underline=underline)
    fmt = paragraph.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    if align is not None:
        paragraph.alignment = align
    if indent:
        fmt.first_line_indent = Cm(1)
    return paragraph


def _layout_table(doc: Any, rows: int, widths: tuple[float, float]) -> Any:
    table = doc.add_table(rows=rows, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    remove_table_borders(table)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    return table


def _data_table(doc: Any, header: list[str], rows: list[list[Any]], widths: list[float]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text, width in zip(table.rows[0].cells, header, widths, strict=True):
        cell.width = Cm(width)
        _para(cell, text, 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, value, width) in enumerate(zip(cells, values, widths, strict=True)):
            cell.width = Cm(width)
            numeric = isinstance(value, int | float) or (i > 0 and isinstance(value, str) and value[:1].isdigit())
            _para(cell, str(value), 13, align=WD_ALIGN_PARAGRAPH.CENTER if numeric or i == 0 else None, first=True)
    doc.add_paragraph()


def _number(value: float | int | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.#")


def _percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, format="#,##0.0%")


# --------------------------------------------------------------------------- the document


def report_docx(report: Report, *, place: str | None = None) -> bytes:
    """Return the report as a DOCX in Vietnamese administrative layout (the scope needs a unit)."""
    unit = report.scope.unit
    if unit is None:
        raise ValueError("a DOCX report is made for one unit")
    today = report.generated_at.astimezone(VN_TZ).date()
    place = place or place_name(unit)
    signer = report_signer(unit, today)

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    doc.core_properties.title = _("Báo cáo công tác phát ngôn và cung cấp thông tin cho báo chí")
    doc.core_properties.author = unit.name

    _header(doc, unit, place, today)
    _title(doc, report)
    _body(doc, report)
    _footer(doc, unit, signer)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _header(doc: Any, unit: Unit, place: str, today: date) -> None:
    table = _layout_table(doc, 2, (6.5, 9.5))
    left, right = table.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    if unit.parent is not None:
        _para(left, unit.parent.name.upper(), 13, align=center, first=True)
        _para(left, unit.name.upper(), 13, bold=True, align=center)
    else:
        _para(left, unit.name.upper(), 13, bold=True, align=center, first=True)
    _para(right, NATIONAL_TITLE, 13, bold=True, align=center, first=True)
    _para(right, MOTTO, 14, bold=True, underline=True, align=center)
    number, dated = table.rows[1].cells
    _para(number, f"Số:       /BC-{symbol_of(unit)}", 13, align=center, first=True, before=6)
    _para(dated, administrative_date(place, today), 14, italic=True, align=center, first=True, before=6)


def _title(doc: Any, report: Report) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, _("BÁO CÁO"), 14, bold=True, align=center, before=18)
    _para(doc, _("Công tác phát ngôn và cung cấp thông tin cho báo chí"), 14, bold=True, align=center)
    _para(doc, _("(Từ ngày %(start)s đến ngày %(end)s)", start=f"{report.period.start:%d/%m/%Y}",
                 end=f"{report.period.end:%d/%m/%Y}"), 14, italic=True, align=center, after=12)


def _section(doc: Any, text: str) -> None:
    _para(doc, text, 14, bold=True, indent=True, before=6, after=6)


def _text(doc: Any, text: str) -> None:
    _para(doc, text, 14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)


def _body(doc: Any, report: Report) -> None:
    unit = report.scope.unit
    who = unit.name if unit is not None else ""
    if report.scope.subtree:
        who = _("%(unit)s và các đơn vị trực thuộc", unit=who)
    _section(doc, _("I. TÌNH HÌNH TIẾP NHẬN YÊU CẦU CỦA BÁO CHÍ"))
    _text(doc, _(
        "Trong kỳ báo cáo, %(who)s tiếp nhận %(received)s yêu cầu cung cấp thông tin của báo chí; "
        "đã trả lời %(answered)s yêu cầu, trong đó %(on_time)s yêu cầu đúng hạn (%(rate)s) và %(late)s yêu cầu "
        "quá hạn; từ chối cung cấp thông tin %(refused)s yêu cầu; phóng viên rút %(withdrawn)s yêu cầu; "
        "chuyển %(transferred)s yêu cầu đến đơn vị có thẩm quyền. Hiện còn %(open)s yêu cầu đang xử lý, "
        "trong đó %(overdue)s yêu cầu đã quá hạn.",
        who=who, received=_number(report.received), answered=_number(report.answered),
        on_time=_number(report.on_time), rate=_percent(report.on_time_rate), late=_number(report.late),
        refused=_number(report.refused), withdrawn=_number(report.withdrawn),
        transferred=_number(report.transferred), open=_number(report.open), overdue=_number(report.overdue)))

    def share(n: int) -> str:
        return _percent(n / report.received) if report.received else "—"

    _text(doc, _("1. Theo loại yêu cầu:"))
    _data_table(doc, [_("STT"), _("Loại yêu cầu"), _("Số lượng"), _("Tỷ lệ")],
                [[i, str(type_label(c.code)), _number(c.count), share(c.count)]
                 for i, c in enumerate(report.by_type, start=1)], [1.2, 9.3, 2.5, 2.5])
    _text(doc, _("2. Theo kênh tiếp nhận:"))
    _data_table(doc, [_("STT"), _("Kênh tiếp nhận"), _("Số lượng"), _("Tỷ lệ")],
                [[i, str(channel_label(c.code)), _number(c.count), share(c.count)]
                 for i, c in enumerate(report.by_channel, start=1)], [1.2, 9.3, 2.5, 2.5])

    _section(doc, _("II. KẾT QUẢ TRẢ LỜI VÀ THỜI HẠN"))
    if report.answered:
        _text(doc, _(
            "Thời gian trả lời tính theo ngày làm việc (không tính ngày tiếp nhận, ngày nghỉ cuối tuần và ngày nghỉ "
            "lễ, Tết): trung vị %(median)s ngày; 90%% số yêu cầu được trả lời trong %(p90)s ngày làm việc.",
            median=_number(report.answer_days_median), p90=_number(report.answer_days_p90)))
    _text(doc, _("1. Tỷ lệ trả lời đúng hạn theo đơn vị:"))
    _data_table(doc, [_("STT"), _("Đơn vị"), _("Tiếp nhận"), _("Đã trả lời"), _("Đúng hạn"), _("Quá hạn"),
                      _("Tỷ lệ đúng hạn")],
                [[i, u.name, _number(u.received), _number(u.answered), _number(u.on_time), _number(u.late),
                  _percent(u.on_time_rate)] for i, u in enumerate(report.ranking, start=1)],
                [1.1, 5.4, 1.9, 1.9, 1.9, 1.9, 2.0])
    _text(doc, _("2. Yêu cầu đang quá hạn theo số ngày quá hạn:"))
    _data_table(doc, [_("STT"), _("Số ngày quá hạn"), _("Số yêu cầu")],
                [[i, str(b.bucket.label), _number(b.count)] for i, b in enumerate(report.ageing, start=1)],
                [1.2, 9.3, 5.0])
    _text(doc, _("3. Từ chối cung cấp thông tin theo căn cứ pháp lý:"))
    if report.refused_by_ground:
        _data_table(doc, [_("STT"), _("Căn cứ"), _("Số yêu cầu")],
                    [[i, f"{g.code}) {g.text}", _number(g.count)]
                     for i, g in enumerate(report.refused_by_ground, start=1)], [1.2, 11.3, 3.0])
    else:
        _text(doc, _("Không có yêu cầu nào bị từ chối trong kỳ."))

    _section(doc, _("III. CÔNG KHAI THÔNG TIN VÀ NGƯỜI PHÁT NGÔN"))
    _text(doc, _("Số tin, bài đã đăng trên trang tin trả lời báo chí trong kỳ: %(n)s.", n=_number(report.published)))
    if report.units_without_spokesperson:
        names = "; ".join(u.name for u in report.units_without_spokesperson)
        _text(doc, _("Đơn vị chưa công bố người phát ngôn (%(n)s): %(names)s.",
                     n=_number(len(report.units_without_spokesperson)), names=names))
    else:
        _text(doc, _("Tất cả đơn vị đã công bố người phát ngôn."))

    _section(doc, _("IV. ĐÁNH GIÁ, KIẾN NGHỊ"))
    _text(doc, "…………………………………………………………………………………………")
    _text(doc, _("Trên đây là báo cáo công tác phát ngôn và cung cấp thông tin cho báo chí của %(unit)s./.",
                 unit=unit.name if unit is not None else ""))


def _footer(doc: Any, unit: Unit, signer: Any) -> None:
    table = _layout_table(doc, 1, (7.5, 8.5))
    left, right = table.rows[0].cells
    _para(left, _("Nơi nhận:"), 12, bold=True, italic=True, first=True, before=6)
    recipients = []
    if unit.parent is not None:
        recipients.append(_("- %(unit)s (để báo cáo);", unit=unit.parent.name))
    recipients.append(_("- Lưu: VT."))
    for line in recipients:
        _para(left, line, 11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    first = True
    if is_peoples_committee(unit):
        _para(right, _("TM. ỦY BAN NHÂN DÂN"), 14, bold=True, align=center, first=True, before=6)
        first = False
    _para(right, signer_title(signer.title, peoples_committee=is_peoples_committee(unit)), 14, bold=True, align=center, first=first, before=6 if first else 0)
    for _i in range(4):  # room for the signature and the seal
        _para(right, "", 14)
    _para(right, signer.name or "……………………", 14, bold=True, align=center)
