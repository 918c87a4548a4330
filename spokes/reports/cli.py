"""Flask CLI commands of the reports feature: ``flask --app spokes report …``."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask
from flask.cli import with_appcontext

from spokes.core.forms import DATE_FORMATS
from spokes.units.models import Unit

def _fail(message: str) -> NoReturn:
    """Print a Vietnamese error on stderr and exit with the usage-error code 2."""
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(2)


def parse_date(text: str | None, option: str) -> date | None:
    """Read YYYY-MM-DD or dd/mm/yyyy; exit 2 with a clear message otherwise."""
    if text is None:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    _fail(f"{option} '{text}' không phải ngày hợp lệ (dùng YYYY-MM-DD hoặc dd/mm/yyyy).")


@click.command("report")
@click.option("--unit", "unit_code", required=True, help="Mã đơn vị / unit code (e.g. AM); its subtree is included.")
@click.option("--from", "start", default=None, help="Từ ngày / from date, YYYY-MM-DD or dd/mm/yyyy (default: 1 Jan).")
@click.option("--to", "end", default=None, help="Đến ngày / to date (default: 31 Dec of the start year).")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "docx"]), required=True, help="Output format.")
@click.option("--output", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write.")
@click.option("--table", type=click.Choice(["summary", "requests"]), default="summary",
              help="CSV only: the figures (default) or the list of requests.")
@click.option("--place", default=None, help="DOCX only: place name in the date line (default: from the unit tree).")
@with_appcontext
def report_command(unit_code: str, start: str | None, end: str | None, fmt: str, output: str, table: str,
                   place: str | None) -> None:
    """Write the report of a unit and its subtree for a period as XLSX, CSV or DOCX."""
    from sqlalchemy import select

    from spokes.core.clock import today_vn
    from spokes.extensions import db
    from spokes.reports import exports
    from spokes.reports.docx import report_docx
    from spokes.reports.services import ReportInputError, ReportScope, build_report, make_period

    unit = db.session.execute(select(Unit).where(Unit.code == unit_code.strip())).scalar_one_or_none()
    if unit is None:
        _fail(f"không có đơn vị mã '{unit_code}'.")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    try:
        period = make_period(first, last, today=today_vn())
    except ReportInputError as err:
        _fail(err.message)
    target = Path(output)
    if not target.parent.exists():
        _fail(f"thư mục '{target.parent}' không tồn tại.")
    report = build_report(ReportScope.of_unit(unit), period)
    if fmt == "xlsx":
        chunks = iter([exports.report_xlsx(report)])
    elif fmt == "csv" and table == "requests":
        chunks = exports.requests_csv_chunks(report)
    elif fmt == "csv":
        chunks = iter([exports.report_csv(report)])
    else:
        chunks = iter([report_docx(report, place=place)])
    try:
        with target.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as err:
        _fail(f"không ghi được tệp '{target}': {err.strerror or err}.")
    click.echo(f"Đã ghi báo cáo {unit.code} từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y} "
               f"({report.received} yêu cầu) vào {target}.")


@click.group("reports")
def reports_group() -> None:
    """Báo cáo / reports: maintenance of the running totals."""


@reports_group.command("rebuild-totals")
@click.option("--batch", default=20, show_default=True, help="Units recounted per step.")
@with_appcontext
def rebuild_totals_command(batch: int) -> None:
    """Recount the report totals of every unit from the requests (one transaction), with progress."""
    import time

    from spokes.extensions import db
    from spokes.reports.totals import rebuild_all

    started = time.perf_counter()

    def progress(done: int, units: int, requests: int) -> None:
        click.echo(f"{done}/{units} đơn vị, {requests:,} yêu cầu ({time.perf_counter() - started:.1f} s)", err=True)

    units, total = rebuild_all(batch=max(1, batch), progress=progress)
    db.session.commit()
    click.echo(f"Đã tính lại số liệu báo cáo: {units} đơn vị, {total:,} yêu cầu, "
               f"{time.perf_counter() - started:.1f} s.")


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    app.cli.add_command(report_command)
    app.cli.add_command(reports_group)
