"""Login and password forms, and the forms of the people pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from spokes.auth.permissions import ROLE_LABELS, Role
from spokes.core.forms import Form

MIN_PASSWORD = 10


class LoginForm(Form):
    """Staff login."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")), Length(max=255)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))


class ResetPasswordForm(Form):
    """Choose a new password through a one-time link."""

    new = PasswordField(_l("Mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập mật khẩu mới.")),
        Length(min=MIN_PASSWORD, max=200, message=_l("Mật khẩu mới phải có từ %(min)d đến %(max)d ký tự."))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")), EqualTo("new", _l("Hai lần nhập mật khẩu mới không khớp."))])
    submit = SubmitField(_l("Đặt mật khẩu"))


class ChangePasswordForm(ResetPasswordForm):
    """Change one's own password: the current one, then the new one twice."""

    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")), Length(max=200)])
    submit = SubmitField(_l("Đổi mật khẩu"))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class PersonForm(Form):
    """A staff member's details."""

    email = EmailField(_l("Thư điện tử (tên đăng nhập)"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập thư điện tử.")), Length(max=255), Email(_l("Địa chỉ thư điện tử không hợp lệ."))])
    name = StringField(_l("Họ và tên"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập họ và tên.")), Length(max=255, message=_l("Tối đa %(max)d ký tự."))])
    title = StringField(_l("Chức danh"), filters=[_strip], validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Điện thoại"), filters=[_strip], validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Lưu"))


class NewPersonForm(PersonForm):
    """A new account with its first role."""

    unit_id = SelectField(_l("Đơn vị"), coerce=int)
    role = SelectField(_l("Vai trò"), choices=[])
    password = PasswordField(_l("Mật khẩu ban đầu (để trống để hệ thống tạo mật khẩu tạm thời)"), validators=[
        Optional(), Length(min=MIN_PASSWORD, max=200, message=_l("Mật khẩu phải có từ %(min)d đến %(max)d ký tự."))])
    submit = SubmitField(_l("Tạo tài khoản"))


class MembershipForm(Form):
    """Give a person a role in a unit."""

    unit_id = SelectField(_l("Đơn vị"), coerce=int)
    role = SelectField(_l("Vai trò"), choices=[])
    submit = SubmitField(_l("Thêm vai trò"))


def role_choices() -> list[SelectChoice]:
    """Return the role menu."""
    return [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role]
