"""Administration: units, people, designations, imports, reorganisation and the audit viewer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from spokes.admin import services as admin_svc
from spokes.admin import imports
from spokes.admin.forms import (
    DESIGNATION_KIND_LABELS,
    NO_UNIT,
    UNIT_KIND_LABELS,
    AuditFilterForm,
    DesignationForm,
    ImportForm,
    MembershipForm,
    MergeForm,
    MoveForm,
    NewPersonForm,
    PersonForm,
    ResetPasswordForm,
    RevokeForm,
    UnitForm,
    role_choices,
    unit_kind_choices,
)
from spokes.admin.policies import can_manage_user, can_view_audit, sees_unitless_events
from spokes.attachments.models import Attachment
from spokes.attachments.store import send_attachment
from spokes.audit import services as audit_svc
from spokes.audit.history import action_choice_label
from spokes.audit.labels import ACTION_LABELS, action_label
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission, permission_required, scope_paths
from spokes.core.clock import today_vn
from spokes.core.errors import DomainError
from spokes.core.forms import EmptyForm
from spokes.core.params import MAX_ID, id_arg, page_arg
from spokes.core.uploads import UploadRejected
from spokes.extensions import db
from spokes.units import services as units_svc
from spokes.units.models import Designation, Unit
from spokes.units.policies import can_create_root_unit, can_manage_unit, can_manage_unit_designations, units_in_scope
from spokes.letters import services as letters_svc

bp = Blueprint("admin", __name__, url_prefix="/admin")

IMPORT_MAX_BYTES = 5 * 1024 * 1024
AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_LIMIT = 50_000
STAFF_PREFIXES = ("/staff", "/admin")


# --------------------------------------------------------------------------- cross-cutting


@bp.before_app_request
def _enforce_password_change() -> Any:
    """Send a signed-in person with a temporary password to /account/password before any staff page.

    Runs on every request, so it only looks at the path and at ``current_user`` (loaded by
    Flask-Login anyway); it issues no query of its own. Public pages and the reset link stay open.
    """
    if not request.path.startswith(STAFF_PREFIXES) or request.endpoint == "admin.reset_password":
        return None
    if getattr(current_user, "is_authenticated", False) and getattr(current_user, "must_change_password", False):
        flash(_("Bạn cần đổi mật khẩu tạm thời trước khi tiếp tục."), "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.app_template_filter("unit_kind_label")
def unit_kind_label(code: str | None) -> Any:
    """Return the label of a unit kind."""
    return UNIT_KIND_LABELS.get(code or "", code or "")


@bp.app_template_filter("designation_kind_label")
def designation_kind_label(code: str | None) -> Any:
    """Return the label of a designation kind."""
    return DESIGNATION_KIND_LABELS.get(code or "", code or "")


def _page() -> int:
    return page_arg()


def _domain_error_to_form(form: Any, field_name: str, err: DomainError) -> None:
    db.session.rollback()
    getattr(form, field_name).errors = [*getattr(form, field_name).errors, err.message]


def _unit_label(unit: Unit) -> str:
    inactive = "" if unit.is_active else " " + _("(ngừng hoạt động)")
    return f"{'— ' * unit.depth}{unit.name} ({unit.code}){inactive}"


def _unit_choices(units: list[Unit], none_label: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice(NO_UNIT, none_label)] if none_label is not None else []  # type: ignore[arg-type]
    return choices + [SelectChoice(u.id, _unit_label(u)) for u in units]  # type: ignore[arg-type]


def _load_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


# --------------------------------------------------------------------------- home


@bp.get("/")
@permission_required(Permission.MANAGE_UNITS)
def index():
    """Show counts, compliance warnings and the way to every admin screen."""
    links = {name: name in current_app.view_functions and has_permission(current_user, perm)
             for name, perm in (("deadlines.rulebooks", Permission.MANAGE_RULEBOOKS),
                                ("deadlines.calendar", Permission.MANAGE_CALENDAR))}
    return render_template("admin/index.html", overview=admin_svc.overview(current_user), links=links,
                           can_audit=can_view_audit(current_user),
                           can_people=has_permission(current_user, Permission.MANAGE_USERS))


@bp.get("/designations")
@login_required
def designations_home():
    """Send a head to their unit's designations (or list their units); admins go to the tree."""
    if has_permission(current_user, Permission.MANAGE_UNITS):
        return redirect(url_for("admin.units"))
    units = [m.unit for m in current_user.memberships if can_manage_unit_designations(current_user, m.unit)]
    units = list({u.id: u for u in units}.values())
    if not units:
        abort(403)
    if len(units) == 1:
        return redirect(url_for("admin.unit_designations", unit_id=units[0].id))
    return render_template("admin/designations_home.html", units=units)


# --------------------------------------------------------------------------- units


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
    return render_template("admin/units.html", tree=units_svc.build_tree(found), matches=matches, query=query,
                           show_inactive=show_inactive, can_root=can_create_root_unit(current_user))


def _fill_unit_form(form: UnitForm, unit: Unit | None) -> None:
    managed = admin_svc.units_for_choices(current_user)
    if unit is not None:  # a unit cannot sit under itself or its descendants
        managed = [u for u in managed if not u.path.startswith(unit.path)]
    root_label = _("(Không có — đơn vị cấp cao nhất)") if can_create_root_unit(current_user) or (
        unit is not None and unit.parent_id is None) else None
    form.parent_id.choices = _unit_choices(managed, root_label)
    form.intake_overseer_id.choices = _unit_choices(admin_svc.active_units(), _("(Không có)"))
    form.kind.choices = unit_kind_choices(unit)


def _unit_data(form: UnitForm, code: str) -> units_svc.UnitData:
    return units_svc.UnitData(
        code=code, name=form.name.data, kind=form.kind.data,
        parent_id=form.parent_id.data or None, reference_prefix=form.reference_prefix.data or None,
        approval_required=form.approval_required.data, phone=form.phone.data, email=form.email.data,
        address=form.address.data, portal_url=form.portal_url.data,
        intake_overseer_id=form.intake_overseer_id.data or None,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def unit_new():
    """Create a unit."""
    form = UnitForm()
    _fill_unit_form(form, None)
    if request.method == "GET":
        form.approval_required.data = True
        form.parent_id.data = id_arg("parent") or NO_UNIT
        form.intake_overseer_id.data = NO_UNIT
    if form.validate_on_submit():
        try:
            unit = units_svc.create_unit(current_user, _unit_data(form, form.code.data))
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "code", err)
            return render_template("admin/unit_form.html", form=form, unit=None), 400
        db.session.commit()
        flash(_("Đã tạo đơn vị %(name)s.", name=unit.name), "success")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    return render_template("admin/unit_form.html", form=form, unit=None), 400 if request.method == "POST" else 200


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_UNITS)
def unit_edit(unit_id: int):
    """Edit a unit's settings; the page also offers move, deactivate and the unit's people."""
    unit = _load_unit(unit_id)
    if not can_manage_unit(current_user, unit):
        abort(403)
    form = UnitForm(obj=unit if request.method == "GET" else None)
    del form.code  # the code never changes: it keys imports and public links
    _fill_unit_form(form, unit)
    del form.parent_id  # moving has its own form
    if request.method == "GET":
        form.intake_overseer_id.data = unit.intake_overseer_id or NO_UNIT
    status = 200
    if form.validate_on_submit():
        data = units_svc.UnitData(
            code=unit.code, name=form.name.data, kind=form.kind.data, reference_prefix=form.reference_prefix.data or None,
            approval_required=form.approval_required.data, phone=form.phone.data, email=form.email.data,
            address=form.address.data, portal_url=form.portal_url.data,
            intake_overseer_id=form.intake_overseer_id.data or None)
        try:
            changed = units_svc.update_unit(current_user, unit, data)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "reference_prefix", err)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu thay đổi.") if changed else _("Không có gì thay đổi."), "success" if changed else "info")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    elif request.method == "POST":
        status = 400
    return _render_unit_page(unit, form, MoveForm(formdata=None), status)


def _render_unit_page(unit: Unit, form: UnitForm, move_form: MoveForm, status: int = 200):
    managed = [u for u in admin_svc.units_for_choices(current_user) if not u.path.startswith(unit.path)]
    root_label = _("(Không có — đơn vị cấp cao nhất)") if can_create_root_unit(current_user) else None
    move_form.parent_id.choices = _unit_choices(managed, root_label)
    if move_form.parent_id.data is None:
        move_form.parent_id.data = unit.parent_id or NO_UNIT
    return render_template(
        "admin/unit_edit.html", unit=unit, form=form, move_form=move_form, action_form=EmptyForm(),
        members=admin_svc.unit_members(unit), merged_into=unit.merged_into,
        can_designations=can_manage_unit_designations(current_user, unit),
    ), status


@bp.post("/units/<int:unit_id>/move")
@permission_required(Permission.MANAGE_UNITS)
def unit_move(unit_id: int):
    """Move a unit (and its subtree) under another parent."""
    unit = _load_unit(unit_id)
    if not can_manage_unit(current_user, unit):
        abort(403)
    move_form = MoveForm()
    managed = [u for u in admin_svc.units_for_choices(current_user) if not u.path.startswith(unit.path)]
    root_label = _("(Không có — đơn vị cấp cao nhất)") if can_create_root_unit(current_user) else None
    move_form.parent_id.choices = _unit_choices(managed, root_label)
    if move_form.validate_on_submit():
        parent = db.session.get(Unit, move_form.parent_id.data) if move_form.parent_id.data else None
        try:
            moved = units_svc.move_unit(current_user, unit, parent)
        except DomainError as err:
            _domain_error_to_form(move_form, "parent_id", err)
        else:
            db.session.commit()
            flash(_("Đã chuyển đơn vị.") if moved else _("Đơn vị đã ở vị trí này."), "success" if moved else "info")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    form = UnitForm(obj=unit)
    del form.code
    _fill_unit_form(form, unit)
    del form.parent_id
    form.intake_overseer_id.data = unit.intake_overseer_id or NO_UNIT
    return _render_unit_page(unit, form, move_form, 400)


@bp.post("/units/<int:unit_id>/deactivate")
@permission_required(Permission.MANAGE_UNITS)
def unit_deactivate(unit_id: int):
    """Deactivate a unit (never deleted; its history stays)."""
    unit = _load_unit(unit_id)
    if not can_manage_unit(current_user, unit):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    units_svc.deactivate_unit(current_user, unit)
    db.session.commit()
    flash(_("Đơn vị %(name)s đã ngừng hoạt động.", name=unit.name), "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


@bp.post("/units/<int:unit_id>/reactivate")
@permission_required(Permission.MANAGE_UNITS)
def unit_reactivate(unit_id: int):
    """Bring a deactivated unit back."""
    unit = _load_unit(unit_id)
    if not can_manage_unit(current_user, unit):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    units_svc.reactivate_unit(current_user, unit)
    db.session.commit()
    flash(_("Đơn vị %(name)s hoạt động trở lại.", name=unit.name), "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


# --------------------------------------------------------------------------- designations


@bp.route("/units/<int:unit_id>/designations", methods=["GET", "POST"])
@login_required
def unit_designations(unit_id: int):
    """List a unit's designations (current and past) and record a new one."""
    unit = _load_unit(unit_id)
    if not can_manage_unit_designations(current_user, unit):
        abort(403)
    form = DesignationForm()
    members = sorted({m.user.id: m.user for m in admin_svc.unit_members(unit) if m.user.active}.values(),
                     key=lambda u: u.name)
    form.user_id.choices = [SelectChoice(u.id, f"{u.name} — {u.title or u.email}") for u in members]  # type: ignore[arg-type]
    if request.method == "GET":
        form.valid_from.data = today_vn()
        form.document_date.data = today_vn()
    status = 200
    if form.validate_on_submit():
        upload = form.scan.data
        scan = None
        if upload and getattr(upload, "filename", ""):
            scan = units_svc.ScanUpload(stream=upload.stream, filename=upload.filename,
                                        max_bytes=current_app.config["PUBLIC_UPLOAD_MAX_BYTES"])
        data = units_svc.DesignationData(
            user_id=form.user_id.data, kind=form.kind.data, title=form.title.data,
            document_number=form.document_number.data, document_date=form.document_date.data,
            valid_from=form.valid_from.data, valid_to=form.valid_to.data, topic=form.topic.data or None,
            case_reference=form.case_reference.data or None, public_phone=form.public_phone.data or None,
            public_email=form.public_email.data or None, number_pending=bool(form.number_from_register.data))
        try:
            designation = units_svc.create_designation(current_user, unit, data, scan)
            if form.number_from_register.data:
                _issue_designation_letter(designation)
        except UploadRejected as err:
            db.session.rollback()
            form.scan.errors = [err.message]
            status = 400
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "kind", err)
            status = 400
        else:
            db.session.commit()
            if form.number_from_register.data:
                flash(_("Đã ban hành văn bản số %(n)s và lưu chỉ định người phát ngôn; danh bạ công khai đã được "
                        "cập nhật.", n=designation.document_number), "success")
                return redirect(url_for("letters.for_designation", designation_id=designation.id))
            flash(_("Đã lưu chỉ định người phát ngôn; danh bạ công khai đã được cập nhật."), "success")
            return redirect(url_for("admin.unit_designations", unit_id=unit.id))
    elif request.method == "POST":
        status = 400
    today = today_vn()
    history = units_svc.unit_designations(unit)
    return render_template(
        "admin/designations.html", unit=unit, form=form, today=today,
        current=[d for d in history if d.is_current(today)],
        past=[d for d in history if not d.is_current(today)],
        no_members=not members,
    ), status


def _issue_designation_letter(designation: Designation) -> None:
    """Issue the new designation's decision (or authorisation) through the register, signed by the head."""

    kind = letters_svc.designation_letter_kinds(designation)[0]
    if not letters_svc.can_issue(current_user, designation.unit):
        raise DomainError(_("Chỉ người đứng đầu đơn vị ban hành văn bản qua sổ văn bản đi; hãy nhập số văn bản."), 400)
    letters_svc.issue_for_designation(current_user, designation,
                                      letters_svc.default_designation_choices(designation, kind, current_user))


@bp.route("/designations/<int:designation_id>/revoke", methods=["GET", "POST"])
@login_required
def designation_revoke(designation_id: int):
    """Revoke a designation with a reason; it stays in the history."""
    designation = db.session.get(Designation, designation_id)
    if designation is None:
        abort(404)
    if not can_manage_unit_designations(current_user, designation.unit):
        abort(403)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            units_svc.revoke_designation(current_user, designation, form.reason.data)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "reason", err)
        else:
            db.session.commit()
            flash(_("Đã thu hồi chỉ định; người này không còn trong danh bạ công khai."), "success")
            return redirect(url_for("admin.unit_designations", unit_id=designation.unit_id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/designation_revoke.html", designation=designation, form=form), status


@bp.get("/designations/<int:designation_id>/scan")
@login_required
def designation_scan(designation_id: int):
    """Download the scan of a designation document."""

    designation = db.session.get(Designation, designation_id)
    if designation is None or designation.scan_attachment_id is None:
        abort(404)
    if not can_manage_unit_designations(current_user, designation.unit):
        abort(403)
    response = send_attachment(db.session.get(Attachment, designation.scan_attachment_id))
    if response is None:
        abort(404)
    return response


# --------------------------------------------------------------------------- people


@bp.get("/users")
@permission_required(Permission.MANAGE_USERS)
def users():
    """List the people in reach, with search and a unit filter."""
    query = (request.args.get("q") or "").strip()[:100]
    unit_id = id_arg("unit")
    stmt = admin_svc.people_query(current_user, query=query, unit_id=unit_id)
    page = db.paginate(stmt, page=_page(), per_page=current_app.config.get("PAGE_SIZE", 25), error_out=False)
    return render_template("admin/users.html", page=page, query=query, unit_id=unit_id,
                           units=admin_svc.units_for_choices(current_user, Permission.MANAGE_USERS, active_only=False))


def _membership_choices(form: Any) -> None:
    form.unit_id.choices = _unit_choices(admin_svc.units_for_choices(current_user, Permission.MANAGE_USERS))
    form.role.choices = role_choices()


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def user_new():
    """Create an account with its first role; a temporary password is shown once."""
    form = NewPersonForm()
    _membership_choices(form)
    if request.method == "GET" and id_arg("unit"):
        form.unit_id.data = id_arg("unit")
    if form.validate_on_submit():
        unit = _load_unit(form.unit_id.data)
        data = admin_svc.PersonData(email=form.email.data, name=form.name.data, title=form.title.data,
                                    phone=form.phone.data)
        try:
            user, temporary = admin_svc.create_person(current_user, data, unit, form.role.data,
                                                      password=form.password.data or None)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "email", err)
            return render_template("admin/user_new.html", form=form), 400
        db.session.commit()
        flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
        if temporary:
            # Shown in this response only, never stored in clear: no redirect, so no copy in the session.
            return render_template("admin/secret.html", user=user, password=temporary, link=None)
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form), 400 if request.method == "POST" else 200


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not can_manage_user(current_user, user):
        abort(403)
    return user


def _render_user_page(user: User, form: PersonForm, membership_form: MembershipForm, status: int = 200):
    _membership_choices(membership_form)
    return render_template("admin/user_edit.html", user=user, form=form, membership_form=membership_form,
                           action_form=EmptyForm(), is_self=user.id == current_user.id), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def user_edit(user_id: int):
    """Edit a person; the page also lists their roles and the password and lock actions."""
    user = _load_user(user_id)
    form = PersonForm(obj=user if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        data = admin_svc.PersonData(email=form.email.data, name=form.name.data, title=form.title.data,
                                    phone=form.phone.data)
        try:
            changed = admin_svc.update_person(current_user, user, data)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "email", err)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu thay đổi.") if changed else _("Không có gì thay đổi."), "success" if changed else "info")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    elif request.method == "POST":
        status = 400
    return _render_user_page(user, form, MembershipForm(formdata=None), status)


@bp.post("/users/<int:user_id>/memberships")
@permission_required(Permission.MANAGE_USERS)
def membership_add(user_id: int):
    """Give a person another role in a unit."""
    user = _load_user(user_id)
    membership_form = MembershipForm()
    _membership_choices(membership_form)
    if membership_form.validate_on_submit():
        unit = _load_unit(membership_form.unit_id.data)
        try:
            admin_svc.add_membership(current_user, user, unit, membership_form.role.data)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(membership_form, "role", err)
        else:
            db.session.commit()
            flash(_("Đã thêm vai trò."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user_page(user, PersonForm(obj=user), membership_form, 400)


@bp.post("/memberships/<int:membership_id>/remove")
@permission_required(Permission.MANAGE_USERS)
def membership_remove(membership_id: int):
    """End a person's role in a unit."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404)
    user = _load_user(membership.user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    admin_svc.remove_membership(current_user, membership)
    db.session.commit()
    flash(_("Đã gỡ vai trò."), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
@permission_required(Permission.MANAGE_USERS)
def user_deactivate(user_id: int):
    """Lock an account and revoke its designations."""
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = admin_svc.deactivate_person(current_user, user)
    db.session.commit()
    flash(_("Đã khóa tài khoản; %(n)d chỉ định phát ngôn đã được thu hồi.", n=result.designations_revoked), "success")
    if result.open_requests_assigned:
        flash(_("Người này đang được giao %(n)d yêu cầu đang mở; hãy giao lại cho người khác.",
                n=result.open_requests_assigned), "warning")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@permission_required(Permission.MANAGE_USERS)
def user_reactivate(user_id: int):
    """Unlock an account."""
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    admin_svc.reactivate_person(current_user, user)
    db.session.commit()
    flash(_("Đã mở khóa tài khoản."), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/temporary-password")
@permission_required(Permission.MANAGE_USERS)
def user_temporary_password(user_id: int):
    """Set a temporary password (to change at next sign-in) and show it once."""
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    password = admin_svc.set_temporary_password(current_user, user)
    db.session.commit()
    return render_template("admin/secret.html", user=user, password=password, link=None)


@bp.post("/users/<int:user_id>/reset-link")
@permission_required(Permission.MANAGE_USERS)
def user_reset_link(user_id: int):
    """Create a one-time password reset link and show it once."""
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    hours = int(current_app.config.get("PASSWORD_RESET_TTL_HOURS", 24))
    token = admin_svc.issue_reset_link(current_user, user, ttl=timedelta(hours=hours))
    db.session.commit()
    base = current_app.config.get("PUBLIC_BASE_URL")
    link = (base + url_for("admin.reset_password", token=token)) if base \
        else url_for("admin.reset_password", token=token, _external=True)
    return render_template("admin/secret.html", user=user, password=None, link=link, hours=hours)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Let a person set a new password through a one-time link (no sign-in needed)."""
    record = admin_svc.find_reset_token(token)
    if record is None:
        return render_template("admin/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            admin_svc.redeem_reset_token(token, form.new.data)
        except DomainError as err:
            if err.status == 404:
                db.session.rollback()
                return render_template("admin/reset_invalid.html"), 404
            _domain_error_to_form(form, "new", err)
        else:
            db.session.commit()
            flash(_("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/reset.html", form=form, person=record.user), status


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
            return render_template("admin/import.html", form=form, report=None), 400
        report = imports.run_import(current_user, form.kind.data, data)
        if not report.ok:
            db.session.rollback()
            return render_template("admin/import.html", form=form, report=report), 400
        if form.dry_run.data:
            db.session.rollback()
        else:
            db.session.commit()
        # Rendered, not redirected: generated passwords are shown in this response only.
        return render_template("admin/import.html", form=form, report=report, dry_run=form.dry_run.data)
    return render_template("admin/import.html", form=form, report=None), 400 if request.method == "POST" else 200


@bp.get("/export/<any(units, users):kind>.<any(csv, xlsx):fmt>")
@permission_required(Permission.MANAGE_UNITS)
def export(kind: str, fmt: str):
    """Download the units or people in reach as CSV (UTF-8 with BOM) or XLSX, in the import's columns."""
    if kind == "users" and not has_permission(current_user, Permission.MANAGE_USERS):
        abort(403)
    columns, rows = (imports.export_units if kind == "units" else imports.export_users)(current_user)
    if fmt == "csv":
        body, mimetype = imports.to_csv(columns, rows), "text/csv; charset=utf-8"
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
    units = admin_svc.units_for_choices(current_user)
    form.sources.choices = _unit_choices(units)
    form.target_id.choices = _unit_choices(units, _("(Chọn đơn vị)"))
    root_label = _("(Không có — đơn vị cấp cao nhất)") if can_create_root_unit(current_user) else None
    form.new_parent_id.choices = _unit_choices(units, root_label)
    if request.method == "GET":
        form.merge_date.data = today_vn()
        form.sources.data = [i for i in request.args.getlist("source", type=int) if 1 <= i <= MAX_ID]
    plan = None
    status = 200
    if form.validate_on_submit():
        data = admin_svc.MergeData(
            source_ids=form.sources.data, merge_date=form.merge_date.data,
            target_id=form.target_id.data if form.target_mode.data == "existing" else None,
            new_unit=units_svc.UnitData(
                code=form.new_code.data, name=form.new_name.data, kind=form.new_kind.data,
                parent_id=form.new_parent_id.data or None, reference_prefix=form.new_prefix.data or None,
            ) if form.target_mode.data == "new" else None,
            move_memberships=form.move_memberships.data)
        try:
            if form.confirm.data:
                target = admin_svc.merge_units(current_user, data)
            else:
                plan = admin_svc.plan_merge(current_user, data)
        except DomainError as err:
            if err.status == 403:
                raise
            _domain_error_to_form(form, "sources", err)
            status = 400
        else:
            if form.confirm.data:
                db.session.commit()
                flash(_("Đã hợp nhất %(n)d đơn vị vào %(name)s.", n=len(data.source_ids), name=target.name), "success")
                return redirect(url_for("admin.unit_edit", unit_id=target.id))
    elif request.method == "POST":
        status = 400
    return render_template("admin/merge.html", form=form, plan=plan), status


# --------------------------------------------------------------------------- audit viewer


def _audit_scope() -> dict[str, Any]:
    ids, prefixes = scope_paths(current_user, Permission.VIEW_AUDIT)
    return {"unit_ids": ids, "unit_prefixes": prefixes, "include_unitless": sees_unitless_events(current_user)}


def _audit_form() -> tuple[AuditFilterForm, audit_svc.AuditFilter, bool]:
    form = AuditFilterForm(formdata=request.args)
    form.unit_id.choices = _unit_choices(admin_svc.units_for_choices(current_user, Permission.VIEW_AUDIT, active_only=False),
                                         _("(Tất cả)"))
    form.object_type.choices = [SelectChoice("", _("(Tất cả)"))] + [
        SelectChoice(v) for v in audit_svc.distinct_values("object_type")]
    form.action.choices = [SelectChoice("", _("(Tất cả)"))] + [
        SelectChoice(v, action_choice_label(v)) for v in audit_svc.distinct_values("action")]
    valid = form.validate() if request.args else True
    if not valid:
        return form, audit_svc.AuditFilter(), False
    return form, audit_svc.AuditFilter(
        actor=form.actor.data or None, unit_id=form.unit_id.data or None, object_type=form.object_type.data or None,
        object_id=form.object_id.data, action=form.action.data or None, date_from=form.date_from.data,
        date_to=form.date_to.data), True


@bp.get("/audit")
@permission_required(Permission.VIEW_AUDIT)
def audit():
    """Browse the audit log of one's subtree: filter, paginate, export."""
    form, filters, valid = _audit_form()
    stmt = audit_svc.events_query(filters=filters, **_audit_scope())
    page = db.paginate(stmt, page=_page(), per_page=AUDIT_PAGE_SIZE, error_out=False)
    unit_ids = {e.unit_id for e in page.items if e.unit_id}
    unit_names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    rows = [(e, audit_svc.compact_changes(e)) for e in page.items]
    return render_template("audit/list.html", form=form, page=page, rows=rows, unit_names=unit_names,
                           action_labels=ACTION_LABELS), 200 if valid else 400


@bp.get("/audit.csv")
@permission_required(Permission.VIEW_AUDIT)
def audit_export():
    """Download the filtered audit events as CSV (UTF-8 with BOM, formula-guarded)."""
    form, filters, valid = _audit_form()
    if not valid:
        abort(400)
    stmt = audit_svc.events_query(filters=filters, **_audit_scope()).limit(AUDIT_EXPORT_LIMIT)
    import json

    from spokes.core.jinja import vn_datetime

    columns = ["seq", "created_at", "actor", "action", "action_label", "object_type", "object_id", "unit_id", "public",
               "before", "after", "hash"]
    rows = (
        [e.seq, vn_datetime(e.created_at, "%d/%m/%Y %H:%M:%S"), e.actor_label, e.action, str(action_label(e.action)),
         e.object_type,
         e.object_id or "", e.unit_id or "", "1" if e.public else "0",
         json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
         json.dumps(e.after, ensure_ascii=False) if e.after is not None else "", e.hash]
        for e in db.session.execute(stmt).scalars()
    )
    body = imports.to_csv(columns, rows)
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="spokes-audit-{today_vn():%Y%m%d}.csv"'})
