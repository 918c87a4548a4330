"""Forms of the notification centre and the e-mail preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from spokes.auth.models import NotifyMode
from spokes.core.forms import Form


class PreferencesForm(Form):
    """How a staff member gets e-mail, and in which language."""

    notify_mode = RadioField(
        _l("Nhận thư thông báo"),
        choices=[
            SelectChoice(NotifyMode.DIGEST.value, _l("Một thư tổng hợp mỗi ngày làm việc, lúc 07:30 (mặc định)")),
            SelectChoice(NotifyMode.IMMEDIATE.value, _l("Một thư ngay khi có thông báo")),
        ],
        validators=[InputRequired(_l("Vui lòng chọn cách nhận thư."))],
    )
    locale = RadioField(
        _l("Ngôn ngữ của giao diện và thư"),
        choices=[SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")],
        validators=[InputRequired(_l("Vui lòng chọn ngôn ngữ."))],
    )
    submit = SubmitField(_l("Lưu"))
