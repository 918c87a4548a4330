"""Flask CLI commands of the deadlines feature: `rulebooks status` and `rulebooks sync`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from spokes.extensions import db

rulebooks = AppGroup("rulebooks", help="Bộ quy tắc kèm theo mã nguồn / the law shipped with the code.")

_STATE_LABELS = {
    "in_sync": "đúng bản phát hành / as shipped",
    "missing": "chưa cài / not installed",
    "shipped_changed": "bản phát hành mới đã đổi / changed by this release",
    "local_edit": "đã sửa tại chỗ, giữ nguyên / local edit, kept",
    "conflict": "đã sửa tại chỗ và bản phát hành cũng đổi; giữ bản sửa / local edit kept over a release change",
    "deleted_locally": "đã xóa tại chỗ, không cài lại / deleted locally, not reinstalled",
    "local_only": "chỉ có tại chỗ / local only",
}


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    app.cli.add_command(rulebooks)


def _print(report, *, verbose: bool) -> None:
    from spokes.deadlines.sync import ItemState

    for item in report.items:
        if item.state is ItemState.IN_SYNC and not verbose:
            continue
        fields = f" [{', '.join(item.fields)}]" if item.fields else ""
        click.echo(f"  {item.key}: {_STATE_LABELS[item.state.value]}{fields}")
    counts = ", ".join(f"{state.value}={report.count(state)}" for state in ItemState if report.count(state))
    click.echo(f"Tổng / total: {counts}")


@rulebooks.command("status")
@click.option("--all", "verbose", is_flag=True, help="Also list the items stored as shipped.")
def status_command(verbose: bool) -> None:
    """Show shipped vs stored law: what sync would change, and every local edit."""
    from spokes.deadlines.sync import status

    report = status()
    _print(report, verbose=verbose)
    if report.drift:
        click.echo(f"Chênh lệch / drift: {len(report.drift)} mục cần đồng bộ (flask --app spokes rulebooks sync).")
    else:
        click.echo("Không có chênh lệch / no drift.")


@rulebooks.command("sync")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def sync_command(dry_run: bool) -> None:
    """Apply the shipped law: install what is missing, apply release changes, keep local edits."""
    from spokes.deadlines.sync import sync

    report = sync(actor=None, dry_run=dry_run)
    _print(report, verbose=False)
    if dry_run:
        db.session.rollback()
        click.echo(f"Chạy thử / dry run: {len(report.drift)} mục sẽ được đồng bộ; chưa ghi gì.")
        return
    db.session.commit()
    click.echo(f"Đã đồng bộ / synced: {len(report.applied)} mục.")
