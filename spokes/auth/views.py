"""Login, logout and password change."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from spokes.auth import services
from spokes.auth.forms import ChangePasswordForm, LoginForm
from spokes.core.forms import EmptyForm
from spokes.core.safe_redirect import safe_next
from spokes.core.errors import DomainError
from spokes.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _password_change_limit() -> str:
    return current_app.config["PASSWORD_CHANGE_RATE_LIMIT"]


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
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except DomainError as err:
            db.session.rollback()
            form.current.errors.append(err.message)
            return render_template("auth/change_password.html", form=form, sessions_form=EmptyForm()), 400
        db.session.commit()
        # This browser carries the new stamp (and keeps "remember me" if it had it); the others end.
        login_user(current_user._get_current_object(),
                   remember=current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies)
        flash(_("Đã đổi mật khẩu."), "success")
        return redirect(url_for("dashboard.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form, sessions_form=EmptyForm()), status
