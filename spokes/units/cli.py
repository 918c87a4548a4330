"""Flask CLI commands of the units feature: import and export units and people."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from spokes.extensions import db
from spokes.units import imports


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    for command in (import_units, import_users, export_units, export_users):
        app.cli.add_command(command)


def _run(kind: str, path: str, dry_run: bool) -> None:
    data = Path(path).read_bytes()

    def progress(total: int):
        return click.progressbar(length=total, label="Đang nhập / importing", file=sys.stderr)

    try:
        report = imports.run_import(None, kind, data, progress_factory=progress)
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


def _import_command(kind: str, help_text: str) -> click.Command:
    @click.command(f"import-{kind}", help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
    @with_appcontext
    def command(file: str, dry_run: bool) -> None:
        _run(kind, file, dry_run)

    return command


def _export_command(kind: str, help_text: str) -> click.Command:
    @click.command(f"export-{kind}", help=help_text)
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    @with_appcontext
    def command(file: str) -> None:
        _export(kind, file)

    return command


def _export(kind: str, path: str) -> None:
    columns, rows = (imports.export_units if kind == "units" else imports.export_users)(None)
    data = imports.to_xlsx(columns, rows, kind) if path.lower().endswith(".xlsx") else imports.to_csv(columns, rows)
    Path(path).write_bytes(data)
    click.echo(f"Đã xuất {len(rows)} dòng vào / exported {len(rows)} rows to {path}")


import_units = _import_command("units", "Import units from CSV or XLSX (code, name, kind, parent_code, …); all rows or none.")
import_users = _import_command("users", "Import people from CSV or XLSX (email, name, title, phone, unit_code, role[, "
                                        "password]); all rows or none.")
export_units = _export_command("units", "Export every unit to FILE (.csv or .xlsx) in the import's columns.")
export_users = _export_command("users", "Export every person and membership to FILE (.csv or .xlsx) in the import's columns.")
