"""Spreadsheet exports of a report: XLSX (openpyxl) and CSV (UTF-8 with BOM).

Both are guarded against formula injection (CSV/DDE injection): any text cell that starts
with ``= + - @``, a tab or a carriage return, or holds one after a ``;`` or ``,``, could be
run as a formula by a spreadsheet. CSV goes through the one writer of every export
(``spokes.core.spreadsheet``): every field quoted, such a cell with a leading apostrophe; in XLSX it is stored as a text cell with the
"quote prefix" style, so Excel shows it as typed and never evaluates it. Numbers are
written as numbers and are never touched.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from spokes.core.spreadsheet import FORMULA_PREFIXES, csv_bytes, csv_chunks, is_formula_like, neutralise  # noqa: F401 - FORMULA_PREFIXES re-exported for callers
from spokes.core.text import slugify
from spokes.deadlines.calendar import VN_TZ
from spokes.press_requests.labels import channel_label, state_label, type_label
from spokes.press_requests.models import Channel, RequestState, RequestType
from spokes.reports.services import Report, request_rows

# Above this many requests the workbook holds the figures only and points to the streamed CSV
# list: 20,000 rows take ~2.5 s of CPU to write (openpyxl), about what one web request should cost.
XLSX_REQUEST_LIMIT = 20_000


def csv_safe(value: Any) -> Any:
    """Return a CSV cell value: text that looks like a formula gets a leading apostrophe."""
    return neutralise(value)


def _clean(text: str) -> str:
    """Drop the control characters XML (and so XLSX) cannot hold; tab and newlines stay."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _local(value: datetime) -> datetime:
    """Return a naive Vietnamese wall-clock time: spreadsheets have no time zones."""
    return value.astimezone(VN_TZ).replace(tzinfo=None)


def file_name(report: Report, fmt: str, suffix: str | None = None) -> str:
    """Return an ASCII file name such as bao-cao-phat-ngon-am-dhu-20260101-20261231.xlsx."""
    who = slugify(report.scope.unit.code) if report.scope.unit is not None else "pham-vi"
    parts = ["bao-cao-phat-ngon", who, f"{report.period.start:%Y%m%d}", f"{report.period.end:%Y%m%d}"]
    if suffix:
        parts.append(suffix)
    return "-".join(parts) + "." + fmt


# --------------------------------------------------------------------------- the figures as rows


def scope_name(report: Report) -> str:
    """Return the name of what a report covers."""
    if report.scope.unit is None:
        return _("Toàn bộ phạm vi được giao")
    if report.scope.subtree:
        return _("%(unit)s (gồm các đơn vị trực thuộc)", unit=report.scope.unit.name)
    return report.scope.unit.name


def summary_rows(report: Report) -> list[tuple[str, Any, str]]:
    """Return the headline figures as (label, value, kind); kind is int, pct, decimal, date, datetime or text."""
    return [
        (_("Đơn vị báo cáo"), scope_name(report), "text"),
        (_("Từ ngày"), report.period.start, "date"),
        (_("Đến ngày"), report.period.end, "date"),
        (_("Thời điểm lập báo cáo"), report.generated_at, "datetime"),
        (_("Tổng số yêu cầu tiếp nhận trong kỳ"), report.received, "int"),
        (_("Đã trả lời"), report.answered, "int"),
        (_("Trả lời đúng hạn"), report.on_time, "int"),
        (_("Trả lời quá hạn"), report.late, "int"),
        (_("Tỷ lệ trả lời đúng hạn"), report.on_time_rate, "pct"),
        (_("Đang xử lý"), report.open, "int"),
        (_("Đang quá hạn"), report.overdue, "int"),
        (_("Từ chối cung cấp thông tin"), report.refused, "int"),
        (_("Phóng viên rút yêu cầu"), report.withdrawn, "int"),
        (_("Chuyển đơn vị có thẩm quyền (chuyển đi trong kỳ)"), report.transferred, "int"),
        (_("Thời gian trả lời, trung vị (ngày làm việc)"), report.answer_days_median, "decimal"),
        (_("Thời gian trả lời, phân vị 90 (ngày làm việc)"), report.answer_days_p90, "int"),
        (_("Tin đã đăng trên trang tin trong kỳ"), report.published, "int"),
        (_("Đơn vị chưa công bố người phát ngôn"), len(report.units_without_spokesperson), "int"),
    ]


def ranking_header() -> list[str]:
    """Return the headers of the unit ranking table."""
    return [_("Hạng"), _("Mã đơn vị"), _("Đơn vị"), _("Tiếp nhận"), _("Đã trả lời"), _("Đúng hạn"),
            _("Quá hạn"), _("Tỷ lệ đúng hạn"), _("Đang xử lý"), _("Đang quá hạn"), _("Từ chối"), _("Rút yêu cầu")]


# --------------------------------------------------------------------------- XLSX

_THIN = Side(style="thin", color="9CA3AF")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
_HEADER_BORDER = Border(bottom=_THIN, top=_THIN, left=_THIN, right=_THIN)

NUMBER_FORMATS = {
    "int": "#,##0",
    "pct": "0.0%",
    "decimal": "0.0",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
    "month": "mm/yyyy",
}


@dataclass(frozen=True)
class Col:
    """A spreadsheet column: header, width (characters) and the kind of its values."""

    header: str
    width: float
    kind: str = "text"


def _xlsx_cell(ws: Any, value: Any, kind: str, *, wrap: bool = False) -> Any:
    """Return what to append for one value: the plain value when it needs no style (fast), else a cell.

    Body cells keep the workbook's default font: styling each of 200,000 rows' cells costs
    more than the whole rest of the export.
    """
    if isinstance(value, datetime):
        value = _local(value)
    if isinstance(value, str):
        value = _clean(value)
        if is_formula_like(value):
            cell = WriteOnlyCell(ws, value=value)
            # Text, never a formula: openpyxl would otherwise store "=…" as one.
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        if wrap:
            cell = WriteOnlyCell(ws, value=value)
            cell.alignment = _WRAP
            return cell
        return value
    number_format = None
    if value is not None and kind in NUMBER_FORMATS:
        number_format = NUMBER_FORMATS[kind]
    elif isinstance(value, datetime):
        number_format = NUMBER_FORMATS["datetime"]
    elif isinstance(value, date):
        number_format = NUMBER_FORMATS["date"]
    if number_format is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _write_sheet(wb: Workbook, title: str, cols: list[Col], rows: Iterable[Iterable[Any]],
                 kinds: Iterable[list[str]] | None = None) -> None:
    """Write one sheet: bold wrapped header, frozen below it, widths and number formats set."""
    ws = wb.create_sheet(title=title[:31])
    for i, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    header = []
    for col in cols:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font, cell.fill, cell.alignment, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN, _HEADER_BORDER
        header.append(cell)
    ws.append(header)
    row_kinds = iter(kinds) if kinds is not None else None
    for row in rows:
        kinds_here = next(row_kinds) if row_kinds is not None else [c.kind for c in cols]
        ws.append([_xlsx_cell(ws, value, kind, wrap=col.width >= 40)
                   for value, kind, col in zip(row, kinds_here, cols, strict=True)])


def report_xlsx(report: Report, *, with_requests: bool = True) -> bytes:
    """Return the report as an XLSX workbook: figures, breakdowns, ranking and the request list.

    Written in openpyxl's streaming mode, so the request list of a large scope stays cheap
    in memory.
    """
    wb = Workbook(write_only=True)
    summary = summary_rows(report)
    _write_sheet(wb, _("Tổng hợp"), [Col(_("Chỉ tiêu"), 58), Col(_("Giá trị"), 40)],
                 [(label, value) for label, value, _kind in summary],
                 [["text", kind] for _label, _value, kind in summary])

    def share(n: int) -> float | None:
        return n / report.received if report.received else None

    _write_sheet(wb, _("Theo loại"), [Col(_("Mã"), 22), Col(_("Loại yêu cầu"), 60), Col(_("Số yêu cầu"), 14, "int"),
                                      Col(_("Tỷ trọng"), 12, "pct")],
                 [(c.code, str(type_label(c.code)), c.count, share(c.count)) for c in report.by_type])
    _write_sheet(wb, _("Theo kênh"), [Col(_("Mã"), 22), Col(_("Kênh tiếp nhận"), 40), Col(_("Số yêu cầu"), 14, "int"),
                                      Col(_("Tỷ trọng"), 12, "pct")],
                 [(c.code, str(channel_label(c.code)), c.count, share(c.count)) for c in report.by_channel])
    types = [t.value for t in RequestType]
    _write_sheet(wb, _("Theo tháng"),
                 [Col(_("Tháng"), 12, "month")] + [Col(str(type_label(t)), 22, "int") for t in types]
                 + [Col(_("Tổng"), 12, "int")],
                 [(date(int(m.month[:4]), int(m.month[5:]), 1), *(m.by_type.get(t, 0) for t in types), m.total)
                  for m in report.monthly])
    _write_sheet(wb, _("Xếp hạng đơn vị"),
                 [Col(h, w, k) for h, w, k in zip(ranking_header(), (8, 16, 48, 12, 12, 12, 12, 14, 12, 14, 12, 12),
                                                  ("int", "text", "text", "int", "int", "int", "int", "pct", "int",
                                                   "int", "int", "int"), strict=True)],
                 [(i, u.code, u.name, u.received, u.answered, u.on_time, u.late, u.on_time_rate, u.open, u.overdue,
                   u.refused, u.withdrawn) for i, u in enumerate(report.ranking, start=1)])
    _write_sheet(wb, _("Quá hạn"), [Col(_("Số ngày quá hạn"), 22), Col(_("Số yêu cầu"), 14, "int")],
                 [(str(b.bucket.label), b.count) for b in report.ageing])
    _write_sheet(wb, _("Từ chối"), [Col(_("Căn cứ"), 10), Col(_("Nội dung căn cứ pháp lý"), 70),
                                    Col(_("Bộ quy tắc"), 40), Col(_("Số yêu cầu"), 12, "int")],
                 [(g.code, g.text, g.rulebook, g.count) for g in report.refused_by_ground])
    _write_sheet(wb, _("Chưa có người phát ngôn"), [Col(_("Mã đơn vị"), 16), Col(_("Đơn vị"), 60)],
                 [(u.code, u.name) for u in report.units_without_spokesperson])
    if with_requests:
        if report.received <= XLSX_REQUEST_LIMIT:
            _write_sheet(wb, _("Danh sách yêu cầu"), _request_cols(), _request_values(report, for_csv=False))
        else:
            _write_sheet(wb, _("Danh sách yêu cầu"), [Col(_("Ghi chú"), 100)], [(_(
                "Kỳ báo cáo có %(n)s yêu cầu, quá %(limit)s dòng để đưa vào bảng tính này; hãy tải "
                "“CSV (danh sách yêu cầu)” để có đầy đủ danh sách.", n=f"{report.received:,}".replace(",", "."),
                limit=f"{XLSX_REQUEST_LIMIT:,}".replace(",", ".")),)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _request_cols() -> list[Col]:
    return [
        Col(_("Mã yêu cầu"), 20), Col(_("Mã đơn vị"), 14), Col(_("Đơn vị"), 36), Col(_("Loại yêu cầu"), 30),
        Col(_("Kênh tiếp nhận"), 18), Col(_("Trạng thái"), 20), Col(_("Thời điểm tiếp nhận"), 18, "datetime"),
        Col(_("Hạn trả lời"), 18, "datetime"), Col(_("Thời điểm kết thúc"), 18, "datetime"),
        Col(_("Đúng hạn"), 10), Col(_("Số ngày làm việc"), 12, "int"), Col(_("Gia hạn"), 10),
        Col(_("Quá hạn"), 10), Col(_("Nội dung"), 60),
    ]


class _Labels:
    """Translated labels of the fixed codes, looked up once per export instead of once per row."""

    def __init__(self) -> None:
        self.type = {t.value: str(type_label(t.value)) for t in RequestType}
        self.channel = {c.value: str(channel_label(c.value)) for c in Channel}
        self.state = {s.value: str(state_label(s.value)) for s in RequestState}
        self.yes, self.no = _("Có"), _("Không")


def _request_values(report: Report, *, for_csv: bool, limit: int | None = None) -> Iterator[tuple[Any, ...]]:
    labels = _Labels()
    yes, no = labels.yes, labels.no
    for count, row in enumerate(request_rows(report.scope, report.period, at=report.generated_at), start=1):
        if limit is not None and count > limit:
            return
        times = [row["received_at"], row["due_at"], row["closed_at"]]
        if for_csv:
            times = [_local(t).strftime("%d/%m/%Y %H:%M") if t else "" for t in times]
        yield (
            row["reference"], row["unit_code"], row["unit_name"], labels.type.get(row["type"], row["type"]),
            labels.channel.get(row["channel"], row["channel"]), labels.state.get(row["state"], row["state"]),
            *times, "" if row["on_time"] is None else (yes if row["on_time"] else no),
            row["answer_days"], yes if row["extended"] else "", yes if row["overdue"] else "", row["subject"],
        )


# --------------------------------------------------------------------------- CSV


def _csv_bytes(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """Return CSV text as UTF-8 with a BOM (so Excel reads the Vietnamese letters), every cell guarded."""
    return csv_bytes(header, rows)


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "pct":
        return f"{100 * value:.1f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "datetime":
        return f"{_local(value):%d/%m/%Y %H:%M}"
    if kind == "date":
        return f"{value:%d/%m/%Y}"
    return value


def report_csv(report: Report) -> bytes:
    """Return every figure in long form: section, unit, figure, code, value (rates in %, dot decimals)."""
    whole = scope_name(report)
    rows: list[tuple[Any, ...]] = []
    for label, value, kind in summary_rows(report):
        rows.append((_("Tổng hợp"), whole, label, "", _csv_value(value, kind)))
    for c in report.by_type:
        rows.append((_("Theo loại yêu cầu"), whole, str(type_label(c.code)), c.code, c.count))
    for c in report.by_channel:
        rows.append((_("Theo kênh tiếp nhận"), whole, str(channel_label(c.code)), c.code, c.count))
    for m in report.monthly:
        for t in RequestType:
            rows.append((_("Theo tháng"), whole, f"{m.label} — {type_label(t.value)}", f"{m.month}/{t.value}",
                         m.by_type.get(t.value, 0)))
    for b in report.ageing:
        rows.append((_("Đang quá hạn theo số ngày"), whole, str(b.bucket.label), b.bucket.code, b.count))
    for g in report.refused_by_ground:
        rows.append((_("Từ chối theo căn cứ"), whole, f"{g.code}) {g.text}", g.code, g.count))
    for u in report.ranking:
        for label, code, value in (
            (_("Tiếp nhận"), "received", u.received), (_("Đã trả lời"), "answered", u.answered),
            (_("Đúng hạn"), "on_time", u.on_time), (_("Quá hạn"), "late", u.late),
            (_("Tỷ lệ đúng hạn (%)"), "on_time_rate", _csv_value(u.on_time_rate, "pct")),
            (_("Đang xử lý"), "open", u.open), (_("Đang quá hạn"), "overdue", u.overdue),
            (_("Từ chối"), "refused", u.refused), (_("Rút yêu cầu"), "withdrawn", u.withdrawn),
        ):
            rows.append((_("Theo đơn vị"), u.name, label, f"{u.code}/{code}", value))
    for unit in report.units_without_spokesperson:
        rows.append((_("Đơn vị chưa công bố người phát ngôn"), unit.name, _("Chưa công bố"), unit.code, 1))
    return _csv_bytes([_("Mục"), _("Đơn vị"), _("Chỉ tiêu"), _("Mã"), _("Giá trị")], rows)


def requests_csv_chunks(report: Report, *, rows_per_chunk: int = 2000) -> Iterator[bytes]:
    """Yield the request list as UTF-8 CSV (BOM first) in chunks, so any size streams in little memory."""
    yield from csv_chunks([c.header for c in _request_cols()], _request_values(report, for_csv=True),
                          rows_per_chunk=rows_per_chunk)


def requests_csv(report: Report) -> bytes:
    """Return the requests received in the period, one per line (UTF-8 with BOM)."""
    return b"".join(requests_csv_chunks(report))

