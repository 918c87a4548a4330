"""Login, logout and password change; the people pages under /admin (accounts, roles, password resets)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from spokes.auth import people, services
from spokes.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    MembershipForm,
    NewPersonForm,
    PersonForm,
    ResetPasswordForm,
    role_choices,
)
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission
from spokes.auth.policies import can_manage_user, permission_required
from spokes.core.forms import EmptyForm
from spokes.core.limits import config_limit
from spokes.core.outcome import commit_or_report
from spokes.core.params import id_arg, page_arg
from spokes.core.safe_redirect import safe_next
from spokes.extensions import db, limiter
from spokes.units.forms import unit_choices
from spokes.units.models import Unit
from spokes.units.queries import units_for_choices

bp = Blueprint("auth", __name__)

_login_limit = config_limit("LOGIN_RATE_LIMIT")
_account_limit = config_limit("LOGIN_ACCOUNT_RATE_LIMIT")
_password_change_limit = config_limit("PASSWORD_CHANGE_RATE_LIMIT")


def _account_and_address() -> str:
    """Key the per-account throttle on the e-mail typed and the client address (after ProxyFix)."""
    email = services.normalise_email(request.form.get("email", ""))[:255]
    return f"{email}|{request.remote_addr or 'unknown'}"


def _signed_in_user() -> str:
    return f"user:{current_user.id if current_user.is_authenticated else request.remote_addr}"


def _failed(response) -> bool:
    """Count only failures against a throttle: a successful sign-in or change redirects."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_and_address, methods=["POST"], deduct_when=_failed,
               scope="login-account")
def login():
    """Sign a staff member in; failures say only that the e-mail or password is wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            if user.must_change_password:
                flash(_("Bạn cần đổi mật khẩu tạm thời trước khi tiếp tục."), "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.home"))
        flash(_("Thư điện tử hoặc mật khẩu không đúng."), "danger")
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out (POST with a CSRF token, so a link elsewhere cannot sign you out).

    The session ends server-side too: the user's session generation goes up, so a copy of
    this session cookie or of the remember-me cookie no longer signs anyone in.
    """
    form = EmptyForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.end_sessions(current_user._get_current_object(), reason="logout")
            db.session.commit()
        logout_user()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("publishing.home"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every session and remember-me cookie of this account, on every device."""
    form = EmptyForm()
    if form.validate_on_submit():
        services.end_sessions(current_user._get_current_object(), reason="everywhere")
        db.session.commit()
        logout_user()
        flash(_("Đã đăng xuất khỏi mọi nơi. Vui lòng đăng nhập lại."), "info")
        return redirect(url_for("publishing.home"))
    return redirect(url_for("auth.change_password"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_password_change_limit, key_func=_signed_in_user, methods=["POST"], deduct_when=_failed,
               scope="password-change")
def change_password():
    """Let a signed-in user change their password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not commit_or_report(lambda: services.change_password(current_user, form.current.data, form.new.data),
                                form.current).ok:
            return render_template("auth/change_password.html", form=form, sessions_form=EmptyForm()), 400
        # This browser carries the new stamp (and keeps "remember me" if it had it); the others end.
        login_user(current_user._get_current_object(),
                   remember=current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)
        flash(_("Đã đổi mật khẩu."), "success")
        return redirect(url_for("dashboard.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form, sessions_form=EmptyForm()), status


# --------------------------------------------------------------------------- people (under /admin)


def _status() -> int:
    return 400 if request.method == "POST" else 200


@bp.get("/admin/users")
@permission_required(Permission.MANAGE_USERS)
def users():
    """List the people in reach, with search and a unit filter."""
    query = (request.args.get("q") or "").strip()[:100]
    unit_id = id_arg("unit")
    stmt = people.people_query(current_user, query=query, unit_id=unit_id)
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config.get("PAGE_SIZE", 25), error_out=False)
    return render_template("auth/users.html", page=page, query=query, unit_id=unit_id,
                           units=units_for_choices(current_user, Permission.MANAGE_USERS, active_only=False))


def _membership_choices(form: Any) -> None:
    form.unit_id.choices = unit_choices(units_for_choices(current_user, Permission.MANAGE_USERS))
    form.role.choices = role_choices()


def _person_data(form: PersonForm) -> people.PersonData:
    return people.PersonData(email=form.email.data, name=form.name.data, title=form.title.data, phone=form.phone.data)


def _show_secret(user: User, *, password: str | None = None, link: str | None = None, hours: int | None = None):
    """Show a temporary password or reset link once: rendered, never redirected, so no copy stays in the session."""
    return render_template("auth/secret.html", user=user, password=password, link=link, hours=hours)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def user_new():
    """Create an account with its first role; a temporary password is shown once."""
    form = NewPersonForm()
    _membership_choices(form)
    if request.method == "GET" and id_arg("unit"):
        form.unit_id.data = id_arg("unit")
    if form.validate_on_submit():
        unit = db.get_or_404(Unit, form.unit_id.data)
        done = commit_or_report(lambda: people.create_person(
            current_user, _person_data(form), unit, form.role.data, password=form.password.data or None), form.email)
        if done.ok:
            user, temporary = done.value
            flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
            if temporary:
                return _show_secret(user, password=temporary)
            return redirect(url_for("auth.user_edit", user_id=user.id))
    return render_template("auth/user_new.html", form=form), _status()


def _load_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if not can_manage_user(current_user, user):
        abort(403)
    return user


def _render_user_page(user: User, form: PersonForm, membership_form: MembershipForm, status: int = 200):
    _membership_choices(membership_form)
    return render_template("auth/user_edit.html", user=user, form=form, membership_form=membership_form,
                           action_form=EmptyForm(), is_self=user.id == current_user.id), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def user_edit(user_id: int):
    """Edit a person; the page also lists their roles and the password and lock actions."""
    user = _load_user(user_id)
    form = PersonForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        done = commit_or_report(lambda: people.update_person(current_user, user, _person_data(form)), form.email)
        if done.ok:
            flash(_("Đã lưu thay đổi.") if done.value else _("Không có gì thay đổi."),
                  "success" if done.value else "info")
            return redirect(url_for("auth.user_edit", user_id=user.id))
    return _render_user_page(user, form, MembershipForm(formdata=None), _status())


@bp.post("/admin/users/<int:user_id>/memberships")
@permission_required(Permission.MANAGE_USERS)
def membership_add(user_id: int):
    """Give a person another role in a unit."""
    user = _load_user(user_id)
    membership_form = MembershipForm()
    _membership_choices(membership_form)
    if membership_form.validate_on_submit():
        unit = db.get_or_404(Unit, membership_form.unit_id.data)
        done = commit_or_report(lambda: people.add_membership(current_user, user, unit, membership_form.role.data),
                                membership_form.role)
        if done.ok:
            flash(_("Đã thêm vai trò."), "success")
            return redirect(url_for("auth.user_edit", user_id=user.id))
    return _render_user_page(user, PersonForm(obj=user), membership_form, 400)


def _user_action(user_id: int, action: Any) -> tuple[User, Any]:
    """Load a person one manages, check the button's CSRF token, run the action and commit.

    Return the person and what the action returned.
    """
    user = _load_user(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = action(current_user, user)
    db.session.commit()
    return user, result


def _back_to(user: User, message: str):
    flash(message, "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/memberships/<int:membership_id>/remove")
@permission_required(Permission.MANAGE_USERS)
def membership_remove(membership_id: int):
    """End a person's role in a unit."""
    membership = db.get_or_404(Membership, membership_id)
    user, _none = _user_action(membership.user_id, lambda actor, _user: people.remove_membership(actor, membership))
    return _back_to(user, _("Đã gỡ vai trò."))


@bp.post("/admin/users/<int:user_id>/deactivate")
@permission_required(Permission.MANAGE_USERS)
def user_deactivate(user_id: int):
    """Lock an account and revoke its designations."""
    user, result = _user_action(user_id, people.deactivate_person)
    flash(_("Đã khóa tài khoản; %(n)d chỉ định phát ngôn đã được thu hồi.", n=result.designations_revoked), "success")
    if result.open_requests_assigned:
        flash(_("Người này đang được giao %(n)d yêu cầu đang mở; hãy giao lại cho người khác.",
                n=result.open_requests_assigned), "warning")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/reactivate")
@permission_required(Permission.MANAGE_USERS)
def user_reactivate(user_id: int):
    """Unlock an account."""
    user, _none = _user_action(user_id, people.reactivate_person)
    return _back_to(user, _("Đã mở khóa tài khoản."))


@bp.post("/admin/users/<int:user_id>/temporary-password")
@permission_required(Permission.MANAGE_USERS)
def user_temporary_password(user_id: int):
    """Set a temporary password (to change at next sign-in) and show it once."""
    user, password = _user_action(user_id, people.set_temporary_password)
    return _show_secret(user, password=password)


@bp.post("/admin/users/<int:user_id>/reset-link")
@permission_required(Permission.MANAGE_USERS)
def user_reset_link(user_id: int):
    """Create a one-time password reset link and show it once."""
    hours = int(current_app.config.get("PASSWORD_RESET_TTL_HOURS", 24))
    user, token = _user_action(user_id, lambda actor, person: people.issue_reset_link(actor, person,
                                                                                      ttl=timedelta(hours=hours)))
    base = current_app.config.get("PUBLIC_BASE_URL")
    link = (base + url_for("auth.reset_password", token=token)) if base \
        else url_for("auth.reset_password", token=token, _external=True)
    return _show_secret(user, link=link, hours=hours)


@bp.route("/admin/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Let a person set a new password through a one-time link (no sign-in needed)."""
    record = people.find_reset_token(token)
    if record is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        done = commit_or_report(lambda: people.redeem_reset_token(token, form.new.data), form.new)
        if done.status() == 404:  # the link was used up meanwhile
            return render_template("auth/reset_invalid.html"), 404
        if done.ok:
            flash(_("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, person=record.user), _status()
