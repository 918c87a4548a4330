"""Import and export units and people as CSV or XLSX.

An import is all or nothing: every row is checked first and any problem is reported by row
number and column, with nothing applied. Only then are the rows applied, in the caller's
transaction (the caller commits, or rolls back for a dry run or on a database error).
Units are matched by code and people by e-mail, so importing the same file twice changes
nothing the second time.

Limits, checked before any parser runs (issue 17: a 208 KB workbook with 5 million shared
strings once took 87 s and 490 MB):

* the upload itself: ``IMPORT_MAX_BYTES`` (5 MB, in the view);
* a CSV: ``MAX_ROWS`` data rows, read as a stream;
* an XLSX: at most ``MAX_XLSX_MEMBERS`` files in the package, ``MAX_XLSX_UNCOMPRESSED``
  bytes uncompressed in all (as the ZIP directory declares them, and as read: a reader
  never reads past a member's declared size), ``MAX_SHARED_STRINGS`` shared strings and
  ``MAX_ROWS`` rows in the first sheet, counted by streaming the XML in chunks with no parser;
  then openpyxl reads the rows one at a time (read-only mode).

It is one module of some 700 lines on purpose: the readers, the limits, the row report and
the two importers (units, people) check and apply as one all-or-nothing step, and splitting
them would only pass those shared pieces back and forth.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from spokes.audit import services as audit
from spokes.auth import people
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import can_grant_in, can_manage_user
from spokes.core.clock import now
from spokes.core.spreadsheet import csv_bytes, neutralise, restore
from spokes.core.text import fold
from spokes.core.uploads import UploadRejected, sniff
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import Unit
from spokes.units.policies import can_create_root_unit, can_manage_unit, scope_condition
from spokes.units.services import UnitData, default_prefix, set_parent, unit_field_problems, unit_snapshot

log = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # 20,000 rows of a dozen columns need about 10 MB
MAX_XLSX_MEMBERS = 200
MAX_SHARED_STRINGS = 300_000  # 20,000 rows × 12 columns, each cell a distinct text, and some room
_SCAN_CHUNK = 1024 * 1024
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")

UNIT_COLUMNS = ["code", "name", "kind", "parent_code", "reference_prefix", "approval_required", "phone", "email",
                "address", "portal_url", "intake_overseer_code", "active"]
UNIT_REQUIRED = ["code", "name", "kind", "parent_code"]
USER_COLUMNS = ["email", "name", "title", "phone", "unit_code", "role", "active"]
USER_REQUIRED = ["email", "name", "unit_code", "role"]
USER_OPTIONAL_EXTRA = ["password"]

_TRUE = {"1", "true", "yes", "y", "x", "co", "dung"}
_FALSE = {"0", "false", "no", "n", "khong", "sai"}

Progress = Callable[[int], None]


class TableError(ValueError):
    """The file as a whole cannot be read; ``message`` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    """One problem: the spreadsheet row number (the header is row 1), the column and what is wrong."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import did, or would do (dry run), or why it did nothing."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    passwords: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, temporary password), shown once

    @property
    def ok(self) -> bool:
        """Return whether the import had no problem."""
        return not self.errors


Row = tuple[int, dict[str, str]]


# --------------------------------------------------------------------------- cells and files


def guard_cell(value: Any) -> str:
    """Return a cell as text that no spreadsheet will run as a formula (prefix ' when risky)."""
    return neutralise("" if value is None else str(value))


def unguard_cell(text: str) -> str:
    """Undo ``guard_cell`` so an exported file imports back unchanged."""
    return restore(text)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Files that are plainly not a table, told by their first bytes: PDF, images, old Office files, archives
# (programs hold NUL bytes, which no text has). Text in another encoding than UTF-8 is still a CSV,
# and is told to be saved as UTF-8.
_NOT_TEXT = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0", b"Rar!", b"\x1f\x8b", b"7z\xbc\xaf")


def read_table(data: bytes) -> tuple[list[str], list[Row]]:
    """Read a CSV (UTF-8, comma or semicolon) or XLSX file into (columns, [(row number, {column: text})]).

    The kind is told from the content, not the name. Blank rows are skipped; cells are trimmed.
    """
    if data.startswith(b"PK\x03\x04"):
        try:
            sniff(data, ("xlsx",))
        except UploadRejected as err:
            raise TableError(_("Tệp Excel không hợp lệ; chỉ nhận tệp .xlsx không chứa macro.")) from err
        check_xlsx_limits(data)
        raw_rows = _xlsx_rows(data)
    else:
        if data.startswith(_NOT_TEXT) or b"\x00" in data[:8192]:
            raise TableError(_("Chỉ nhận tệp CSV (UTF-8) hoặc Excel (.xlsx)."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise TableError(_("Tệp CSV phải được lưu với bảng mã UTF-8.")) from err
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        raw_rows = enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1)
    header: list[str] | None = None
    rows: list[Row] = []
    for number, cells in raw_rows:
        values = [unguard_cell(_cell_text(c).strip()) for c in cells]
        if header is None:
            if not any(values):
                continue
            header = [v.strip().lower().lstrip("\ufeff") for v in values]
            continue
        if not any(values):
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(_("Tệp có quá %(n)d dòng; hãy chia nhỏ tệp.", n=MAX_ROWS))
        rows.append((number, {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}))
    if header is None:
        raise TableError(_("Tệp rỗng: không có dòng tiêu đề."))
    return [h for h in header if h], rows


def _count_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: re.Pattern[bytes], limit: int) -> int:
    """Count a tag in a member by streaming it in chunks; stop as soon as the count passes ``limit``."""
    count = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(_SCAN_CHUNK):
            window = tail + chunk
            # A tag cut by the chunk edge is counted in the next window: keep a short tail.
            cut = max(len(window) - 64, 0)
            count += len(pattern.findall(window, 0, cut)) if cut else 0
            tail = window[cut:]
            if count > limit:
                return count
    return count + len(pattern.findall(tail))


def check_xlsx_limits(data: bytes) -> None:
    """Refuse a workbook past the documented limits before openpyxl sees it (a decompression bomb).

    Reads only the ZIP directory and, as a stream, the shared strings and the first sheet.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_XLSX_MEMBERS:
                raise TableError(_("Tệp Excel có quá nhiều thành phần; vui lòng lưu lại tệp hoặc dùng tệp CSV."))
            if sum(i.file_size for i in infos) > MAX_XLSX_UNCOMPRESSED:
                raise TableError(_("Tệp Excel khi giải nén vượt quá %(n)d MB; hãy chia nhỏ tệp.",
                                   n=MAX_XLSX_UNCOMPRESSED // (1024 * 1024)))
            by_name = {i.filename.lower(): i for i in infos}
            strings = by_name.get("xl/sharedstrings.xml")
            if strings is not None and _count_tags(archive, strings, _SHARED_STRING, MAX_SHARED_STRINGS) > MAX_SHARED_STRINGS:
                raise TableError(_("Tệp Excel có quá %(n)d chuỗi văn bản; hãy chia nhỏ tệp.", n=MAX_SHARED_STRINGS))
            sheets = sorted(n for n in by_name if n.startswith("xl/worksheets/") and n.endswith(".xml"))
            for name in sheets:
                if _count_tags(archive, by_name[name], _ROW, MAX_ROWS + 1) > MAX_ROWS + 1:
                    raise TableError(_("Tệp có quá %(n)d dòng; hãy chia nhỏ tệp.", n=MAX_ROWS))
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, EOFError, RuntimeError,
            NotImplementedError) as err:
        if isinstance(err, TableError):
            raise
        raise TableError(_("Không đọc được tệp Excel.")) from err


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Yield the first sheet's rows one at a time (openpyxl's read-only mode streams them)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise TableError(_("Không đọc được tệp Excel.")) from err
    try:
        rows = enumerate(book.worksheets[0].iter_rows(values_only=True), start=1)
        while True:
            try:
                number, cells = next(rows)
            except StopIteration:
                return
            except Exception as err:  # noqa: BLE001 - a broken sheet fails mid-way, in many ways
                raise TableError(_("Không đọc được tệp Excel.")) from err
            yield number, cells
            if number > MAX_ROWS + 10:
                return
    finally:
        book.close()


def to_csv(columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    """Return a UTF-8 CSV with a byte-order mark (so Excel reads Vietnamese), formula-guarded."""
    # csv_bytes guards every cell itself (guard_cell's rule): pass the plain text, not guarded twice.
    return csv_bytes(columns, (["" if v is None else str(v) for v in row] for row in rows))


def to_xlsx(columns: list[str], rows: Iterable[list[Any]], title: str) -> bytes:
    """Return an XLSX workbook with one sheet; every cell is text, formula-guarded."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(columns)
    for row in rows:
        sheet.append([guard_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _missing_columns(columns: list[str], required: list[str]) -> list[RowError]:
    return [RowError(1, name, _("Thiếu cột bắt buộc “%(col)s”.", col=name)) for name in required if name not in columns]


def _flag(row: dict[str, str], column: str) -> bool | None | str:
    """Return True/False, None when blank or absent, or the raw text when it is not a yes/no value."""
    raw = row.get(column, "")
    if not raw:
        return None
    key = fold(raw)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return raw


# --------------------------------------------------------------------------- units


@dataclass
class _UnitRow:
    number: int
    code: str
    data: UnitData
    parent_code: str | None
    overseer_code: str | None
    has: set[str]
    approval: bool | None
    active: bool | None


def import_units(actor: Any, columns: list[str], rows: list[Row], *, progress: Progress | None = None) -> ImportReport:
    """Check every unit row, then create or update the units (matched by code); flush, never commit.

    ``actor`` None is the system (CLI) and may touch every unit; a person only their subtree.
    """
    report = ImportReport(kind="units", rows=len(rows))
    report.errors = _missing_columns(columns, UNIT_REQUIRED)
    if report.errors:
        return report
    existing = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    parsed: dict[str, _UnitRow] = {}
    for number, row in rows:
        has = {c for c in UNIT_COLUMNS if c in columns}
        data = UnitData(
            code=row.get("code", ""), name=row.get("name", ""), kind=row.get("kind", "").lower(),
            reference_prefix=row.get("reference_prefix") or None, phone=row.get("phone"), email=row.get("email"),
            address=row.get("address"), portal_url=row.get("portal_url"),
        ).cleaned()
        for column, message in unit_field_problems(data).items():
            report.errors.append(RowError(number, column, message))
        flags: dict[str, bool | None] = {}
        for column in ("approval_required", "active"):
            value = _flag(row, column)
            if isinstance(value, str):
                report.errors.append(RowError(number, column, _("Giá trị “%(v)s” không hợp lệ; dùng 1 hoặc 0.", v=value)))
                value = None
            flags[column] = value
        if data.code and data.code in parsed:
            report.errors.append(RowError(number, "code", _("Mã đơn vị %(code)s lặp lại (đã có ở dòng %(row)d).",
                                                            code=data.code, row=parsed[data.code].number)))
        if data.code not in parsed:
            parsed[data.code] = _UnitRow(
                number=number, code=data.code, data=data, parent_code=(row.get("parent_code") or "").strip() or None,
                overseer_code=(row.get("intake_overseer_code") or "").strip() or None, has=has,
                approval=flags["approval_required"], active=flags["active"])
    if report.errors:
        return report

    _check_unit_links(actor, parsed, existing, report)
    if report.errors:
        return report
    _apply_units(actor, parsed, existing, report, progress)
    return report


def _final_parent(code: str, parsed: dict[str, _UnitRow], parent_of: dict[str, str | None]) -> str | None:
    """Return the parent code a unit will have once the file is applied."""
    if code in parsed:
        return parsed[code].parent_code
    return parent_of.get(code)


def _check_unit_links(actor: Any, parsed: dict[str, _UnitRow], existing: dict[str, Unit], report: ImportReport) -> None:
    """Check parents, cycles, prefixes, overseers, deactivations and the actor's reach across all rows."""
    codes_by_id = {u.id: u.code for u in existing.values()}
    parent_of = {u.code: codes_by_id.get(u.parent_id) if u.parent_id else None for u in existing.values()}
    known = set(existing) | set(parsed)
    err = report.errors.append
    for code, item in parsed.items():
        if item.parent_code is not None:
            if item.parent_code == code:
                err(RowError(item.number, "parent_code", _("Đơn vị không thể là cấp trên của chính nó.")))
            elif item.parent_code not in known:
                err(RowError(item.number, "parent_code", _("Không có đơn vị mã %(code)s (trong tệp hay trong hệ thống).",
                                                           code=item.parent_code)))
        if item.overseer_code is not None and item.overseer_code not in known:
            err(RowError(item.number, "intake_overseer_code",
                         _("Không có đơn vị mã %(code)s (trong tệp hay trong hệ thống).", code=item.overseer_code)))
    if report.errors:
        return
    for code, item in parsed.items():  # the final tree must have no cycle
        seen, current = {code}, item.parent_code
        while current is not None:
            if current in seen:
                err(RowError(item.number, "parent_code", _("Cấp trên tạo thành vòng lặp (một đơn vị nằm dưới chính nó).")))
                break
            seen.add(current)
            current = _final_parent(current, parsed, parent_of)
    if report.errors:
        return
    # Reference prefixes stay unique over the whole table, merged and inactive units included.
    final_prefix: dict[str, str] = {code: u.reference_prefix.upper() for code, u in existing.items()}
    for code, item in parsed.items():
        if item.data.reference_prefix:
            final_prefix[code] = item.data.reference_prefix
        elif code not in existing:
            final_prefix[code] = default_prefix(code)
    owners: dict[str, list[str]] = {}
    for code, prefix in final_prefix.items():
        owners.setdefault(prefix, []).append(code)
    for code, item in parsed.items():
        clash = [c for c in owners[final_prefix[code]] if c != code]
        if clash:
            err(RowError(item.number, "reference_prefix", _("Tiền tố mã yêu cầu %(prefix)s trùng với đơn vị %(other)s.",
                                                            prefix=final_prefix[code], other=", ".join(sorted(clash)))))
    # Deactivating through an import follows the same rules as the button.
    final_active = {code: u.is_active for code, u in existing.items()}
    for code, item in parsed.items():
        if item.active is not None:
            final_active[code] = item.active
        elif code not in existing:
            final_active[code] = True
    for code, item in parsed.items():
        unit = existing.get(code)
        if item.active is True and unit is not None and not unit.is_active and unit.merged_into_id is not None:
            err(RowError(item.number, "active", _("Đơn vị đã được hợp nhất; không thể hoạt động lại.")))
        if final_active[code] and item.parent_code and not final_active.get(item.parent_code, True):
            err(RowError(item.number, "parent_code", _("Đơn vị cấp trên %(code)s đã ngừng hoạt động.", code=item.parent_code)))
        if item.active is False and unit is not None and unit.is_active:
            open_count = db.session.execute(select(func.count()).select_from(PressRequest).where(
                PressRequest.unit_id == unit.id, PressRequest.state.in_([s.value for s in OPEN_STATES]))).scalar_one()
            if open_count:
                err(RowError(item.number, "active", _("Đơn vị còn %(n)d yêu cầu đang mở; không thể ngừng hoạt động.",
                                                      n=open_count)))
        if item.overseer_code and not final_active.get(item.overseer_code, True):
            err(RowError(item.number, "intake_overseer_code", _("Đơn vị %(code)s đã ngừng hoạt động.",
                                                                code=item.overseer_code)))
    for code, active in final_active.items():
        if active:
            parent = _final_parent(code, parsed, parent_of)
            if parent and not final_active.get(parent, True) and code not in parsed:
                owner = parsed.get(parent)
                if owner is not None:
                    err(RowError(owner.number, "active", _("Đơn vị còn đơn vị cấp dưới %(code)s đang hoạt động.",
                                                           code=code)))
    if actor is None or report.errors:
        return
    for code, item in parsed.items():  # the actor's reach: every touched unit lies in their subtree
        unit = existing.get(code)
        if unit is not None and not can_manage_unit(actor, unit):
            err(RowError(item.number, "code", _("Bạn không có quyền quản trị đơn vị %(code)s.", code=code)))
            continue
        parent_code = item.parent_code
        while parent_code is not None and parent_code in parsed and parent_code not in existing:
            parent_code = parsed[parent_code].parent_code  # a new parent in the file: look further up
        if parent_code is None:
            if (unit is None or unit.parent_id is not None) and not can_create_root_unit(actor):
                err(RowError(item.number, "parent_code", _("Chỉ quản trị viên cấp cao nhất mới được tạo đơn vị không có cấp trên.")))
        elif not can_manage_unit(actor, existing[parent_code]):
            err(RowError(item.number, "parent_code", _("Bạn không có quyền quản trị đơn vị %(code)s.", code=parent_code)))


def _apply_units(actor: Any, parsed: dict[str, _UnitRow], existing: dict[str, Unit], report: ImportReport,
                 progress: Progress | None) -> None:
    by_code = dict(existing)
    before = {code: unit_snapshot(existing[code]) for code in parsed if code in existing}
    order = _parents_first(parsed)
    moment = now()
    for code in order:
        item = parsed[code]
        data = item.data
        parent = by_code.get(item.parent_code) if item.parent_code else None
        unit = by_code.get(code)
        if unit is None:
            unit = Unit(code=code, name=data.name, name_folded=fold(data.name), kind=data.kind,
                        reference_prefix=data.reference_prefix or default_prefix(code),
                        approval_required=True if item.approval is None else item.approval)
            db.session.add(unit)
            by_code[code] = unit
            set_parent(unit, parent)
        else:
            if unit.parent_id != (parent.id if parent else None):
                set_parent(unit, parent)
            if unit.name != data.name:
                unit.name, unit.name_folded = data.name, fold(data.name)
            unit.kind = data.kind
            if data.reference_prefix:
                unit.reference_prefix = data.reference_prefix
            if item.approval is not None:
                unit.approval_required = item.approval
        for column in ("phone", "email", "address", "portal_url"):
            if column in item.has:
                setattr(unit, column, getattr(data, column))
        if progress:
            progress(1)
    for code in order:  # second pass: links to units that may come later in the file
        item, unit = parsed[code], by_code[code]
        if "intake_overseer_code" in item.has:
            unit.intake_overseer_id = by_code[item.overseer_code].id if item.overseer_code else None
        if item.active is not None and item.active != unit.is_active:
            unit.is_active = item.active
            unit.deactivated_at = None if item.active else moment
    db.session.flush()
    for code in order:
        unit, old = by_code[code], before.get(code)
        new = unit_snapshot(unit)
        if old is None:
            report.created += 1
            audit.record("unit.create", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                         after=new | {"source": "import"})
            continue
        keys = [k for k in new if old.get(k) != new[k]]
        if not keys:
            report.unchanged += 1
            continue
        report.updated += 1
        audit.record("unit.update", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                     before={k: old.get(k) for k in keys}, after={k: new[k] for k in keys} | {"source": "import"})


def _parents_first(parsed: dict[str, _UnitRow]) -> list[str]:
    order: list[str] = []
    placed: set[str] = set()

    def place(code: str) -> None:
        if code in placed:
            return
        placed.add(code)
        parent = parsed[code].parent_code
        if parent in parsed:
            place(parent)  # type: ignore[arg-type]
        order.append(code)

    for code in parsed:
        place(code)
    return order


def export_units(actor: Any) -> tuple[list[str], list[list[Any]]]:
    """Return the units in the actor's reach (None: all) as rows in the import's columns."""
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    stmt = select(Unit).order_by(Unit.depth, Unit.code)
    if actor is not None:
        stmt = stmt.where(scope_condition(actor, Permission.MANAGE_UNITS))
    rows = [
        [u.code, u.name, u.kind, codes.get(u.parent_id, "") if u.parent_id else "", u.reference_prefix,
         "1" if u.approval_required else "0", u.phone or "", u.email or "", u.address or "", u.portal_url or "",
         codes.get(u.intake_overseer_id, "") if u.intake_overseer_id else "", "1" if u.is_active else "0"]
        for u in db.session.execute(stmt).scalars()
    ]
    return list(UNIT_COLUMNS), rows


# --------------------------------------------------------------------------- people


@dataclass
class _Person:
    number: int
    email: str
    data: people.PersonData
    has: set[str]
    active: bool | None
    password: str | None
    memberships: list[tuple[int, str, str]] = field(default_factory=list)  # (row, unit code, role)


def import_users(actor: Any, columns: list[str], rows: list[Row], *, progress: Progress | None = None) -> ImportReport:
    """Check every person row, then create or update people (matched by e-mail) and add memberships.

    Memberships are only ever added, never removed, so a partial file cannot strip anyone's
    rights. New people get a random temporary password (or the ``password`` column) that
    must be changed at the first sign-in; the report lists the generated ones, once.
    """
    report = ImportReport(kind="users", rows=len(rows))
    report.errors = _missing_columns(columns, USER_REQUIRED)
    if report.errors:
        return report
    err = report.errors.append
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    persons: dict[str, _Person] = {}
    for number, row in rows:
        data = people.PersonData(email=row.get("email", ""), name=row.get("name", ""), title=row.get("title"),
                                 phone=row.get("phone")).cleaned()
        for column, message in people.person_problems(data).items():
            err(RowError(number, column, message))
        active = _flag(row, "active")
        if isinstance(active, str):
            err(RowError(number, "active", _("Giá trị “%(v)s” không hợp lệ; dùng 1 hoặc 0.", v=active)))
            active = None
        password = row.get("password") or None
        if password and (problem := people.password_problem(password)):
            err(RowError(number, "password", problem))
        unit_code, role = (row.get("unit_code") or "").strip(), (row.get("role") or "").strip().lower()
        if bool(unit_code) != bool(role):
            err(RowError(number, "role" if unit_code else "unit_code", _("Cần ghi cả mã đơn vị và vai trò, hoặc bỏ trống cả hai.")))
        elif unit_code:
            unit = units.get(unit_code)
            if role not in Role._value2member_map_:
                err(RowError(number, "role", _("Vai trò không hợp lệ; dùng một trong: %(roles)s.",
                                               roles=", ".join(r.value for r in Role))))
            if unit is None:
                err(RowError(number, "unit_code", _("Không có đơn vị mã %(code)s.", code=unit_code)))
            elif actor is not None and not can_grant_in(actor, unit):
                err(RowError(number, "unit_code", _("Bạn không có quyền phân quyền tại đơn vị %(code)s.", code=unit_code)))
        if not data.email or "email" in people.person_problems(data):
            continue
        person = persons.get(data.email)
        if person is None:
            person = persons[data.email] = _Person(number=number, email=data.email, data=data,
                                                   has={c for c in USER_COLUMNS if c in columns}, active=active,
                                                   password=password)
        else:  # the same person on several rows (one per membership): the rows must agree
            for column in ("name", "title", "phone"):
                if column in person.has and getattr(person.data, column) != getattr(data, column):
                    err(RowError(number, column, _("Khác với dòng %(row)d của cùng người (%(email)s).",
                                                   row=person.number, email=data.email)))
            if active is not None and person.active is not None and active != person.active:
                err(RowError(number, "active", _("Khác với dòng %(row)d của cùng người (%(email)s).",
                                                 row=person.number, email=data.email)))
        if unit_code and role:
            person.memberships.append((number, unit_code, role))
    if report.errors:
        return report
    existing = {u.email: u for u in db.session.execute(
        select(User).where(func.lower(User.email).in_(list(persons)))).scalars()}
    for email, person in persons.items():
        user = existing.get(email)
        if user is None:
            continue
        if actor is not None and not can_manage_user(actor, user):
            err(RowError(person.number, "email", _("Bạn không có quyền quản lý tài khoản %(email)s.", email=email)))
        if actor is not None and user.id == actor.id and person.active is False:
            err(RowError(person.number, "active", _("Bạn không thể tự khóa tài khoản của chính mình.")))
    if report.errors:
        return report
    for email, person in persons.items():
        _apply_person(actor, person, existing.get(email), units, report)
        if progress:
            progress(1)
    db.session.flush()
    return report


def _apply_person(actor: Any, person: _Person, user: User | None, units: dict[str, Unit], report: ImportReport) -> None:
    data = person.data
    if user is None:
        password = person.password or people.generate_password()
        user = User(email=data.email, name=data.name, title=data.title, phone=data.phone, must_change_password=True,
                    active=person.active is not False)
        user.set_password(password)
        seen: set[tuple[str, str]] = set()
        for _row, code, role in person.memberships:
            if (code, role) not in seen:
                seen.add((code, role))
                user.memberships.append(Membership(unit=units[code], role=role))
        db.session.add(user)
        db.session.flush()
        if not person.password:
            report.passwords.append((user.email, password))
        report.created += 1
        audit.record("user.create", actor=actor, obj_type="user", obj_id=user.id,
                     unit_id=units[person.memberships[0][1]].id if person.memberships else None,
                     after=people.person_snapshot(user) | {"source": "import", "memberships": [
                         {"unit": c, "role": r} for c, r in sorted(seen)]})
        return
    before = people.person_snapshot(user)
    for column in ("name", "title", "phone"):
        if column in person.has:
            setattr(user, column, getattr(data, column))
    changed = False
    after = people.person_snapshot(user)
    keys = [k for k in after if before[k] != after[k]]
    if keys:
        db.session.flush()
        audit.record("user.update", actor=actor, obj_type="user", obj_id=user.id,
                     unit_id=user.memberships[0].unit_id if user.memberships else None,
                     before={k: before[k] for k in keys}, after={k: after[k] for k in keys} | {"source": "import"})
        changed = True
    held = {(m.unit_id, m.role) for m in user.memberships}
    for _row, code, role in person.memberships:
        unit = units[code]
        if (unit.id, role) in held:
            continue
        held.add((unit.id, role))
        user.memberships.append(Membership(unit=unit, role=role))
        db.session.flush()
        audit.record("membership.add", actor=actor, obj_type="user", obj_id=user.id, unit_id=unit.id,
                     after={"unit": code, "role": role, "source": "import"})
        changed = True
    if person.active is not None and person.active != user.active:
        if person.active:
            people.reactivate_person(actor, user)
        else:
            people.deactivate_person(actor, user)
        changed = True
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def export_users(actor: Any) -> tuple[list[str], list[list[Any]]]:
    """Return people as rows in the import's columns: one row per membership in the actor's reach.

    People with no membership are listed (with blank unit and role) only for the system or
    an admin of a root unit, who alone can see them.
    """
    stmt = select(Membership).join(Unit, Unit.id == Membership.unit_id).join(User, User.id == Membership.user_id)
    if actor is not None:
        stmt = stmt.where(scope_condition(actor, Permission.MANAGE_USERS))
    memberships = db.session.execute(stmt.order_by(User.email, Unit.code, Membership.role)).scalars().all()
    users = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_({m.user_id for m in memberships}))).scalars()} if memberships else {}
    rows = [[users[m.user_id].email, users[m.user_id].name, users[m.user_id].title or "", users[m.user_id].phone or "",
             m.unit.code, m.role, "1" if users[m.user_id].active else "0"] for m in memberships]
    if actor is None or can_create_root_unit(actor):
        lonely = select(User).where(~User.id.in_(select(Membership.user_id))).order_by(User.email)
        rows += [[u.email, u.name, u.title or "", u.phone or "", "", "", "1" if u.active else "0"]
                 for u in db.session.execute(lonely).scalars()]
        rows.sort(key=lambda r: (r[0], r[4], r[5]))
    return list(USER_COLUMNS), rows


def run_import(actor: Any, kind: str, data: bytes, *, progress_factory: Callable[[int], Any] | None = None) -> ImportReport:
    """Read a file and import it as ``units`` or ``users``; a file-level problem is reported as row 1."""
    try:
        columns, rows = read_table(data)
    except TableError as err:
        return ImportReport(kind=kind, errors=[RowError(1, "", err.message)])
    importer = import_units if kind == "units" else import_users
    if progress_factory is None:
        return importer(actor, columns, rows)
    total = len(rows) if kind == "units" else len({(r.get("email") or "").strip().lower() for _n, r in rows})
    with progress_factory(total) as bar:
        return importer(actor, columns, rows, progress=bar.update)
