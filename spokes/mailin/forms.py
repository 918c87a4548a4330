"""The clerk's confirmation of a mailed request's type."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from spokes.press_requests.labels import TYPE_LABELS
from spokes.press_requests.models import RequestType
from spokes.core.forms import Form


class ConfirmTypeForm(Form):
    """Choose the request type (and, where the type needs it, which file is the written request)."""

    type = SelectField(_l("Loại yêu cầu"), validators=[DataRequired()],
                       choices=[SelectChoice(t.value, TYPE_LABELS[t.value]) for t in RequestType
                                if t is not RequestType.EMERGENCY])
    letter = SelectField(_l("Văn bản đề nghị của cơ quan báo chí (tệp đính kèm)"), coerce=int,
                         validators=[Optional()], choices=[])
    submit = SubmitField(_l("Xác nhận loại và tính thời hạn"))


# What became of a fetched message, as staff read it.
OUTCOME_LABELS = {
    "all": _l("Tất cả"),
    "to_confirm": _l("Chờ xác nhận loại yêu cầu"),
    "new_request": _l("Yêu cầu mới"),
    "follow_up": _l("Tin nhắn bổ sung của phóng viên"),
    "closed_request": _l("Thư về yêu cầu đã kết thúc"),
    "automatic": _l("Thư tự động (trả lời tự động, báo lỗi gửi, danh sách thư)"),
    "own": _l("Thư của chính đơn vị hoặc của Spokes"),
    "duplicate": _l("Thư trùng"),
    "quarantined": _l("Thư lỗi, đang cách ly"),
}
