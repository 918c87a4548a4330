"""Flask CLI commands. Each command that writes commits once, at the end."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime

import click
from flask import Flask
from flask.cli import with_appcontext

from spokes.extensions import db


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    from spokes.units.cli import register as register_units
    from spokes.deadlines.cli import register as register_deadlines
    from spokes.letters.cli import register as register_letters
    from spokes.mailin.cli import register as register_mailin
    from spokes.notifications.cli import register as register_notifications
    from spokes.reports.cli import register as register_reports

    for command in (seed_demo, create_user, deadline, audit_verify, backup, restore):
        app.cli.add_command(command)
    for feature_register in (register_units, register_deadlines, register_notifications, register_reports,
                             register_letters, register_mailin):
        feature_register(app)


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the An Giang demo data (idempotent) and print the demo logins."""
    from spokes.admin.demo import ACCOUNTS, DEMO_PASSWORD
    from spokes.admin.demo import seed_demo as run

    result = run()
    db.session.commit()
    click.echo(
        f"Rulebooks: +{result['rulebooks']}  units: +{result['units']}  accounts: +{len(result['accounts'])}  "
        f"designations: +{result['designations']}  requests: +{result['requests']}  "
        f"publications: +{result['publications']}"
    )
    click.echo("\nTài khoản dùng thử / demo logins (mật khẩu / password: %s):" % DEMO_PASSWORD)
    for acc in ACCOUNTS:
        click.echo(f"  {acc.role.value:<13} {acc.email:<34} {acc.name} — {acc.title}")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Full name, e.g. 'Nguyễn Văn A'.")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. AM-DHU.")
@click.option("--role", type=click.Choice(["clerk", "spokesperson", "head", "overseer", "admin"]), required=True)
@click.option("--title", default=None, help="Job title shown in the directory.")
@with_appcontext
def create_user(email: str, name: str, unit_code: str, role: str, title: str | None) -> None:
    """Create a staff account. The password comes from SPOKES_PASSWORD or is asked twice."""
    from spokes.auth.forms import MIN_PASSWORD
    from spokes.auth.services import create_user as create
    from spokes.core.errors import DomainError

    password = os.environ.get("SPOKES_PASSWORD")
    if not password:
        password = click.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.UsageError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự / password too short.")
    try:
        user = create(email=email, name=name, password=password, unit_code=unit_code, role=role, title=title)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from err
    db.session.commit()
    click.echo(f"Đã tạo tài khoản / created: {user.email} ({role} @ {unit_code})")


@click.command("deadline")
@click.argument("request_type")
@click.argument("received_at")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--unit", "unit_code", default=None, help="Receiving unit code: apply its provincial and local layers.")
@with_appcontext
def deadline(request_type: str, received_at: str, as_json: bool, unit_code: str | None) -> None:
    """Print the due time for TYPE received at RECEIVED_AT (ISO 8601; no offset = Vietnam time).

    Without --unit: the national rulebook and the shipped defaults; with --unit: that unit's layers too.
    """
    from spokes.deadlines.explain import render_steps
    from spokes.deadlines.services import DeadlineUnavailable, compute
    from spokes.press_requests.models import RequestType

    if request_type not in RequestType._value2member_map_:
        click.echo(f"Lỗi: loại yêu cầu không hợp lệ '{request_type}'. Dùng một trong: "
                   + ", ".join(t.value for t in RequestType), err=True)
        sys.exit(2)
    try:
        moment = datetime.fromisoformat(received_at.strip().replace("Z", "+00:00"))
    except ValueError:
        click.echo(f"Lỗi: thời điểm '{received_at}' không đúng ISO 8601 (ví dụ 2026-07-01T09:30).", err=True)
        sys.exit(2)
    unit = None
    if unit_code:
        from sqlalchemy import select

        from spokes.units.models import Unit

        unit = db.session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
        if unit is None:
            click.echo(f"Lỗi: không có đơn vị mã '{unit_code}'.", err=True)
            sys.exit(2)
    try:
        result = compute(request_type, moment, unit=unit)
    except DeadlineUnavailable:
        click.echo(f"Lỗi: không có bộ quy tắc nào áp dụng cho thời điểm {received_at}.", err=True)
        sys.exit(2)
    explanation = result.explanation()
    if as_json:
        click.echo(json.dumps({
            "type": request_type,
            "received_at": explanation["start"],
            "due_at": explanation["due_at"],
            "rulebook": explanation["rulebook"]["name"],
            "rulebook_code": explanation["rulebook"]["code"],
            "rule": explanation["rule"]["label"],
            "amount": explanation["amount"],
            "unit": explanation["unit"],
            "citation": explanation["citation"],
            "confidence": explanation["confidence"],
            "statutory": explanation["statutory"],
            "skipped_days": explanation["skipped_days"],
            "layers": explanation["layers"],
            "estimated": explanation["estimated"],
            "estimated_years": explanation["estimated_years"],
            "steps": explanation["steps"],
            "text": render_steps(explanation["steps"]),
        }, ensure_ascii=False, indent=2))
        return
    from spokes.core.jinja import vn_datetime

    click.echo(f"Hạn chót: {vn_datetime(result.result.due_at, '%H:%M:%S ngày %d/%m/%Y')} (giờ Việt Nam)")
    click.echo(f"Bộ quy tắc: {explanation['rulebook']['name']}")
    for layer in explanation["layers"][1:]:
        click.echo(f"Lớp quy định: {layer['name']} (đơn vị {layer['scope_unit_code']})")
    if explanation["estimated"]:
        click.echo("Lưu ý: lịch nghỉ dự kiến (chưa công bố chính thức) cho năm "
                   + ", ".join(str(y) for y in explanation["estimated_years"]))
    click.echo(f"Quy tắc: {explanation['rule']['label']} — {explanation['citation']['source']} "
               f"(độ tin cậy {explanation['confidence']}: {explanation['confidence_label']})")
    click.echo(f"Trích dẫn: {explanation['citation']['text']}")
    click.echo("Cách tính:")
    for line in render_steps(explanation["steps"]):
        click.echo(f"  - {line}")


@click.command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """Check the audit hash chain; name the first broken event and exit 1 if it is broken."""
    from spokes.audit.services import verify_chain

    checked, problem = verify_chain()
    if problem is None:
        click.echo(f"Chuỗi nhật ký toàn vẹn: {checked} sự kiện / audit chain OK ({checked} events).")
        return
    where = f"event id {problem.event_id}" if problem.event_id else "no row"
    click.echo(f"Chuỗi nhật ký bị phá vỡ tại sự kiện số {problem.seq} ({where}): {problem.reason}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup(file: str) -> None:
    """Write a consistent backup of the database to FILE (SQLite backup API or pg_dump)."""
    from spokes.core.backup import BackupError
    from spokes.core.backup import backup as run

    try:
        path = run(file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Đã sao lưu / backup written: {path} ({path.stat().st_size} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(file: str, yes: bool) -> None:
    """Replace the database content with the backup in FILE."""
    from spokes.core import pagecache
    from spokes.core.backup import BackupError
    from spokes.core.backup import restore as run
    from spokes.press_requests.services import raise_reference_counters, reference_floors

    if not yes:
        click.confirm("Toàn bộ dữ liệu hiện tại sẽ bị thay thế. Tiếp tục? / Replace all current data?", abort=True)
    try:
        # References handed out since the backup must never be given again after it.
        floors = reference_floors()
    except Exception as err:  # noqa: BLE001 - a broken or empty database has nothing to protect
        db.session.rollback()
        click.echo(f"(mã yêu cầu hiện tại không đọc được / current references unreadable: {err.__class__.__name__})")
        floors = {}
    try:
        run(file)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Đã khôi phục / restored from {file}")
    raised = raise_reference_counters(floors)
    db.session.commit()
    for prefix, year, old, new in raised:
        click.echo(f"Bộ đếm mã yêu cầu / reference counter {prefix}-{year}: {old} → {new}")
    if not raised:
        click.echo("Bộ đếm mã yêu cầu đã đúng / reference counters already past every reference")
    pagecache.invalidate()
    click.echo("Đã làm mới bộ nhớ đệm trang công khai / public page cache turned over")
