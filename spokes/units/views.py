"""The unit pages under /admin: the unit tree, a unit's settings, its designations, merging, import and export.

The URLs stay under /admin (bookmarks of administrators); the endpoints are this feature's
(``units.*``). People live in ``auth``, the audit viewer in ``audit``, the admin home in ``admin``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from spokes.attachments.models import Attachment
from spokes.attachments.store import Upload, send_attachment
from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission, permission_required
from spokes.core.clock import today_vn
from spokes.core.errors import DomainError
from spokes.core.forms import EmptyForm, upload_error
from spokes.core.outcome import commit_or_report
from spokes.core.params import MAX_ID, id_arg
from spokes.core.uploads import UploadRejected
from spokes.extensions import db
from spokes.letters import services as letters_svc
from spokes.units import imports, queries
from spokes.units import merge as merge_svc
from spokes.units import services as units_svc
from spokes.units.forms import (
    NO_UNIT,
    DesignationForm,
    ImportForm,
    MergeForm,
    MoveForm,
    RevokeForm,
    UnitForm,
    unit_choices,
    unit_kind_choices,
)
from spokes.units.models import Designation, Unit
from spokes.units.policies import can_create_root_unit, can_manage_unit, can_manage_unit_designations, units_in_scope

bp = Blueprint("units", __name__, url_prefix="/admin")

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _root_label(unit: Unit | None = None) -> str | None:
    """Offer "no parent" to those who may create a root unit (and keep it for a root being edited)."""
    if can_create_root_unit(current_user) or (unit is not None and unit.parent_id is None):
        return _("(Không có — đơn vị cấp cao nhất)")
    return None


def load_unit(unit_id: int) -> Unit:
    """Return the unit or answer 404."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def _managed_unit(unit_id: int) -> Unit:
    unit = load_unit(unit_id)
    if not can_manage_unit(current_user, unit):
        abort(403)
    return unit


def _status() -> int:
    return 400 if request.method == "POST" else 200


# --------------------------------------------------------------------------- units


@bp.get("/designations")
@login_required
def designations_home():
    """Send a head to their unit's designations (or list their units); admins go to the tree."""
    if has_permission(current_user, Permission.MANAGE_UNITS):
        return redirect(url_for("units.units"))
    units = [m.unit for m in current_user.memberships if can_manage_unit_designations(current_user, m.unit)]
    units = list({u.id: u for u in units}.values())
    if not units:
        abort(403)
    if len(units) == 1:
        return redirect(url_for("units.unit_designations", unit_id=units[0].id))
    return render_template("units/designations_home.html", units=units)


@bp.get("/units")
@permission_required(Permission.MANAGE_UNITS)
def units():
    """Show the unit tree (collapsible, works without JavaScript), or the units matching a search."""
    query = (request.args.get("q") or "").strip()[:100]
    show_inactive = request.args.get("inactive") == "1"
    stmt = units_in_scope(current_user)
    if not show_inactive:
        stmt = stmt.where(Unit.is_active.is_(True))
    found = list(db.session.execute(stmt).scalars())
    matches = units_svc.search_units(found, query) if query else None
    return render_template("units/units.html", tree=units_svc.build_tree(found), matches=matches, query=query,
                           show_inactive=show_inactive, can_root=can_create_root_unit(current_user))


def _unit_form(unit: Unit | None, *, formdata: bool = True) -> UnitForm:
    """Build the unit settings form with its menus; an existing unit's form has no code and no parent."""
    form = UnitForm(obj=unit if unit is not None and (not formdata or request.method == "GET") else None,
                    **({} if formdata else {"formdata": None}))
    managed = queries.units_for_choices(current_user)
    if unit is not None:  # a unit cannot sit under itself or its descendants
        managed = [u for u in managed if not u.path.startswith(unit.path)]
        del form.code  # the code never changes: it keys imports and public links
        del form.parent_id  # moving has its own form
    else:
        form.parent_id.choices = unit_choices(managed, _root_label())
    form.intake_overseer_id.choices = unit_choices(queries.active_units(), _("(Không có)"))
    form.kind.choices = unit_kind_choices(unit)
    if unit is not None and (not formdata or request.method == "GET"):
        form.intake_overseer_id.data = unit.intake_overseer_id or NO_UNIT
    return form


def _unit_data(form: UnitForm, code: str, parent_id: int | None = None) -> units_svc.UnitData:
    return units_svc.UnitData(
        code=code, name=form.name.data, kind=form.kind.data, parent_id=parent_id,
        reference_prefix=form.reference_prefix.data or None,
        approval_required=form.approval_required.data, phone=form.phone.data, email=form.email.data,
        address=form.address.data, portal_url=form.portal_url.data,
        intake_overseer_id=form.intake_overseer_id.data or None,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def unit_new():
    """Create a unit."""
    form = _unit_form(None)
    if request.method == "GET":
        form.approval_required.data = True
        form.parent_id.data = id_arg("parent") or NO_UNIT
        form.intake_overseer_id.data = NO_UNIT
    if form.validate_on_submit():
        done = commit_or_report(lambda: units_svc.create_unit(
            current_user, _unit_data(form, form.code.data, form.parent_id.data or None)), form.code)
        if done.ok:
            flash(_("Đã tạo đơn vị %(name)s.", name=done.value.name), "success")
            return redirect(url_for("units.unit_edit", unit_id=done.value.id))
    return render_template("units/unit_form.html", form=form, unit=None), _status()


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def unit_edit(unit_id: int):
    """Edit a unit's settings; the page also offers move, deactivate and the unit's people."""
    unit = _managed_unit(unit_id)
    form = _unit_form(unit)
    if form.validate_on_submit():
        done = commit_or_report(lambda: units_svc.update_unit(current_user, unit, _unit_data(form, unit.code)),
                                form.reference_prefix)
        if done.ok:
            _flash_changed(done.value, _("Đã lưu thay đổi."), _("Không có gì thay đổi."))
            return redirect(url_for("units.unit_edit", unit_id=unit.id))
    return _render_unit_page(unit, form, MoveForm(formdata=None), _status())


def _flash_changed(changed: bool, done: str, nothing: str) -> None:
    flash(done if changed else nothing, "success" if changed else "info")


def _move_form(unit: Unit, *, formdata: bool = True) -> MoveForm:
    move_form = MoveForm() if formdata else MoveForm(formdata=None)
    managed = [u for u in queries.units_for_choices(current_user) if not u.path.startswith(unit.path)]
    move_form.parent_id.choices = unit_choices(managed, _root_label())
    return move_form


def _render_unit_page(unit: Unit, form: UnitForm, move_form: MoveForm, status: int = 200):
    move_form.parent_id.choices = _move_form(unit, formdata=False).parent_id.choices
    if move_form.parent_id.data is None:
        move_form.parent_id.data = unit.parent_id or NO_UNIT
    return render_template(
        "units/unit_edit.html", unit=unit, form=form, move_form=move_form, action_form=EmptyForm(),
        members=queries.unit_members(unit), merged_into=unit.merged_into,
        can_designations=can_manage_unit_designations(current_user, unit),
    ), status


@bp.post("/units/<int:unit_id>/move")
@permission_required(Permission.MANAGE_UNITS)
def unit_move(unit_id: int):
    """Move a unit (and its subtree) under another parent."""
    unit = _managed_unit(unit_id)
    move_form = _move_form(unit)
    if move_form.validate_on_submit():
        parent = db.session.get(Unit, move_form.parent_id.data) if move_form.parent_id.data else None
        done = commit_or_report(lambda: units_svc.move_unit(current_user, unit, parent), move_form.parent_id)
        if done.ok:
            _flash_changed(done.value, _("Đã chuyển đơn vị."), _("Đơn vị đã ở vị trí này."))
            return redirect(url_for("units.unit_edit", unit_id=unit.id))
    return _render_unit_page(unit, _unit_form(unit, formdata=False), move_form, 400)


def _unit_action(unit_id: int, action: Any, message: str):
    """Run a button's action (deactivate, reactivate) on a unit the user manages, then back to its page."""
    unit = _managed_unit(unit_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    action(current_user, unit)
    db.session.commit()
    flash(message % {"name": unit.name}, "success")
    return redirect(url_for("units.unit_edit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/deactivate")
@permission_required(Permission.MANAGE_UNITS)
def unit_deactivate(unit_id: int):
    """Deactivate a unit (never deleted; its history stays)."""
    return _unit_action(unit_id, units_svc.deactivate_unit, _("Đơn vị %(name)s đã ngừng hoạt động."))


@bp.post("/units/<int:unit_id>/reactivate")
@permission_required(Permission.MANAGE_UNITS)
def unit_reactivate(unit_id: int):
    """Bring a deactivated unit back."""
    return _unit_action(unit_id, units_svc.reactivate_unit, _("Đơn vị %(name)s hoạt động trở lại."))


# --------------------------------------------------------------------------- designations


def _load_designation(designation_id: int, *, with_scan: bool = False) -> Designation:
    """Return a designation of a unit whose designations the user manages (404 or 403 otherwise)."""
    designation = db.session.get(Designation, designation_id)
    if designation is None or (with_scan and designation.scan_attachment_id is None):
        abort(404)
    if not can_manage_unit_designations(current_user, designation.unit):
        abort(403)
    return designation


@bp.route("/units/<int:unit_id>/designations", methods=["GET", "POST"])
@login_required
def unit_designations(unit_id: int):
    """List a unit's designations (current and past) and record a new one."""
    unit = load_unit(unit_id)
    if not can_manage_unit_designations(current_user, unit):
        abort(403)
    form = DesignationForm()
    members = sorted({m.user.id: m.user for m in queries.unit_members(unit) if m.user.active}.values(),
                     key=lambda u: u.name)
    form.user_id.choices = [SelectChoice(u.id, f"{u.name} — {u.title or u.email}") for u in members]  # type: ignore[arg-type]
    if request.method == "GET":
        form.valid_from.data = today_vn()
        form.document_date.data = today_vn()
    if form.validate_on_submit():
        done = None
        try:
            scan = Upload.of(form.scan.data, current_app.config["PUBLIC_UPLOAD_MAX_BYTES"])
            done = commit_or_report(lambda: _designate(unit, form, scan), form.kind)
        except UploadRejected as err:  # the scan is checked as it is stored
            db.session.rollback()
            form.scan.errors = [upload_error(err)]
        if done is not None and done.ok:
            designation = done.value
            if form.number_from_register.data:
                flash(_("Đã ban hành văn bản số %(n)s và lưu chỉ định người phát ngôn; danh bạ công khai đã được "
                        "cập nhật.", n=designation.document_number), "success")
                return redirect(url_for("letters.for_designation", designation_id=designation.id))
            flash(_("Đã lưu chỉ định người phát ngôn; danh bạ công khai đã được cập nhật."), "success")
            return redirect(url_for("units.unit_designations", unit_id=unit.id))
    today = today_vn()
    history = units_svc.unit_designations(unit)
    return render_template(
        "units/designations.html", unit=unit, form=form, today=today,
        current=[d for d in history if d.is_current(today)],
        past=[d for d in history if not d.is_current(today)],
        no_members=not members,
    ), _status()


def _designate(unit: Unit, form: DesignationForm, scan: Upload | None) -> Designation:
    """Record the designation; with a number from the register, issue its letter signed by the head."""
    data = units_svc.DesignationData(
        user_id=form.user_id.data, kind=form.kind.data, title=form.title.data,
        document_number=form.document_number.data, document_date=form.document_date.data,
        valid_from=form.valid_from.data, valid_to=form.valid_to.data, topic=form.topic.data or None,
        case_reference=form.case_reference.data or None, public_phone=form.public_phone.data or None,
        public_email=form.public_email.data or None, number_pending=bool(form.number_from_register.data))
    designation = units_svc.create_designation(current_user, unit, data, scan)
    if form.number_from_register.data:
        kind = letters_svc.designation_letter_kinds(designation)[0]
        if not letters_svc.can_issue(current_user, designation.unit):
            raise DomainError(_("Chỉ người đứng đầu đơn vị ban hành văn bản qua sổ văn bản đi; hãy nhập số văn bản."), 400)
        letters_svc.issue_for_designation(current_user, designation,
                                          letters_svc.default_designation_choices(designation, kind, current_user))
    return designation


@bp.route("/designations/<int:designation_id>/revoke", methods=["GET", "POST"])
@login_required
def designation_revoke(designation_id: int):
    """Revoke a designation with a reason; it stays in the history."""
    designation = _load_designation(designation_id)
    form = RevokeForm()
    if form.validate_on_submit():
        done = commit_or_report(lambda: units_svc.revoke_designation(current_user, designation, form.reason.data),
                                form.reason)
        if done.ok:
            flash(_("Đã thu hồi chỉ định; người này không còn trong danh bạ công khai."), "success")
            return redirect(url_for("units.unit_designations", unit_id=designation.unit_id))
    return render_template("units/designation_revoke.html", designation=designation, form=form), _status()


@bp.get("/designations/<int:designation_id>/scan")
@login_required
def designation_scan(designation_id: int):
    """Download the scan of a designation document."""
    designation = _load_designation(designation_id, with_scan=True)
    response = send_attachment(db.session.get(Attachment, designation.scan_attachment_id))
    if response is None:
        abort(404)
    return response


# --------------------------------------------------------------------------- import and export


@bp.route("/import", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def import_data():
    """Import units or people from CSV/XLSX: all rows or none, errors listed row by row."""
    form = ImportForm()
    if form.kind.data == "users" and request.method == "POST" and not has_permission(current_user, Permission.MANAGE_USERS):
        abort(403)
    if form.validate_on_submit():
        data = form.file.data.stream.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            form.file.errors = [_("Tệp quá lớn: tối đa 5 MB.")]
            return render_template("units/import.html", form=form, report=None), 400
        report = imports.run_import(current_user, form.kind.data, data)
        if not report.ok:
            db.session.rollback()
            return render_template("units/import.html", form=form, report=report), 400
        if form.dry_run.data:
            db.session.rollback()
        else:
            db.session.commit()
        # Rendered, not redirected: generated passwords are shown in this response only.
        return render_template("units/import.html", form=form, report=report, dry_run=form.dry_run.data)
    return render_template("units/import.html", form=form, report=None), _status()


@bp.get("/export/<any(units, users):kind>.<any(csv, xlsx):fmt>")
@permission_required(Permission.MANAGE_UNITS)
def export(kind: str, fmt: str):
    """Download the units or people in reach as CSV (UTF-8 with BOM) or XLSX, in the import's columns."""
    if kind == "users" and not has_permission(current_user, Permission.MANAGE_USERS):
        abort(403)
    columns, rows = (imports.export_units if kind == "units" else imports.export_users)(current_user)
    if fmt == "csv":
        body, mimetype = imports.to_csv(columns, rows), "text/csv"  # Werkzeug adds the charset
    else:
        body = imports.to_xlsx(columns, rows, kind)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"spokes-{kind}-{today_vn():%Y%m%d}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --------------------------------------------------------------------------- reorganisation


@bp.route("/units/merge", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def merge():
    """Merge units into a new or existing unit: preview what moves, then confirm."""
    form = MergeForm()
    units = queries.units_for_choices(current_user)
    form.sources.choices = unit_choices(units)
    form.target_id.choices = unit_choices(units, _("(Chọn đơn vị)"))
    form.new_parent_id.choices = unit_choices(units, _root_label())
    if request.method == "GET":
        form.merge_date.data = today_vn()
        form.sources.data = [i for i in request.args.getlist("source", type=int) if 1 <= i <= MAX_ID]
    if form.validate_on_submit():
        data = merge_svc.MergeData(
            source_ids=form.sources.data, merge_date=form.merge_date.data,
            target_id=form.target_id.data if form.target_mode.data == "existing" else None,
            new_unit=units_svc.UnitData(
                code=form.new_code.data, name=form.new_name.data, kind=form.new_kind.data,
                parent_id=form.new_parent_id.data or None, reference_prefix=form.new_prefix.data or None,
            ) if form.target_mode.data == "new" else None,
            move_memberships=form.move_memberships.data)
        if form.confirm.data:
            done = commit_or_report(lambda: merge_svc.merge_units(current_user, data), form.sources)
            if done.ok:
                flash(_("Đã hợp nhất %(n)d đơn vị vào %(name)s.", n=len(data.source_ids), name=done.value.name),
                      "success")
                return redirect(url_for("units.unit_edit", unit_id=done.value.id))
        else:
            preview = commit_or_report(lambda: merge_svc.plan_merge(current_user, data), form.sources, commit=False)
            if preview.ok:
                return render_template("units/merge.html", form=form, plan=preview.value)
    return render_template("units/merge.html", form=form, plan=None), _status()
