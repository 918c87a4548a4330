"""Flask CLI commands of the units feature: import and export units and people."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from spokes.extensions import db


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    for command in (import_units, import_users, export_units, export_users):
        app.cli.add_command(command)


def _run(kind: str, path: str, dry_run: bool) -> None:
    from spokes.units.imports import run_import

    data = Path(path).read_bytes()

    def progress(total: int):
        return click.progressbar(length=total, label="Đang nhập / importing", file=sys.stderr)

    try:
        report = run_import(None, kind, data, progress_factory=progress)
    except SQLAlchemyError as err:
        db.session.rollback()
        click.echo(f"Lỗi cơ sở dữ liệu, không có thay đổi nào được ghi / database error, nothing applied: {err}", err=True)
        sys.exit(1)
    if not report.ok:
        db.session.rollback()
        click.echo(f"Có {len(report.errors)} lỗi; không có thay đổi nào được ghi / nothing applied:", err=True)
        for e in report.errors:
            column = f" cột “{e.column}”" if e.column else ""
            click.echo(f"  Dòng {e.row}{column}: {e.message}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    label = "Chạy thử, chưa ghi gì / dry run, nothing written" if dry_run else "Đã nhập / imported"
    counted = "đơn vị / units" if kind == "units" else "người / people"
    click.echo(f"{label}: {report.rows} dòng — tạo mới {report.created}, cập nhật {report.updated}, "
               f"không đổi {report.unchanged} {counted} (created/updated/unchanged).")
    if report.passwords and not dry_run:
        click.echo("\nMật khẩu tạm thời (chỉ hiện một lần; phải đổi ở lần đăng nhập đầu) / temporary passwords, shown once:")
        for email, password in report.passwords:
            click.echo(f"  {email:<40} {password}")


@click.command("import-units")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@with_appcontext
def import_units(file: str, dry_run: bool) -> None:
    """Import units from CSV or XLSX (code, name, kind, parent_code, …); all rows or none."""
    _run("units", file, dry_run)


@click.command("import-users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@with_appcontext
def import_users(file: str, dry_run: bool) -> None:
    """Import people from CSV or XLSX (email, name, title, phone, unit_code, role[, password]); all rows or none."""
    _run("users", file, dry_run)


def _export(kind: str, path: str) -> None:
    from spokes.units.imports import export_units as units_rows
    from spokes.units.imports import export_users as users_rows
    from spokes.units.imports import to_csv, to_xlsx

    columns, rows = (units_rows if kind == "units" else users_rows)(None)
    data = to_xlsx(columns, rows, kind) if path.lower().endswith(".xlsx") else to_csv(columns, rows)
    Path(path).write_bytes(data)
    click.echo(f"Đã xuất {len(rows)} dòng vào / exported {len(rows)} rows to {path}")


@click.command("export-units")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_units(file: str) -> None:
    """Export every unit to FILE (.csv or .xlsx) in the import's columns."""
    _export("units", file)


@click.command("export-users")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_users(file: str) -> None:
    """Export every person and membership to FILE (.csv or .xlsx) in the import's columns."""
    _export("users", file)
