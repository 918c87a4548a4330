"""Login and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

MIN_PASSWORD = 10


class LoginForm(FlaskForm):
    """Staff login."""

    email = EmailField(_l("Thư điện tử"), validators=[DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")), Length(max=255)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))


class ChangePasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")), Length(max=200)])
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[
            DataRequired(_l("Vui lòng nhập mật khẩu mới.")),
            Length(min=MIN_PASSWORD, max=200, message=_l("Mật khẩu mới phải có từ %(min)d đến %(max)d ký tự.")),
        ],
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")), EqualTo("new", _l("Hai lần nhập mật khẩu mới không khớp."))],
    )
    submit = SubmitField(_l("Đổi mật khẩu"))
