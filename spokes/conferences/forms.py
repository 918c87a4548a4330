"""Forms of press conferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from spokes.core.forms import Form, strip, VnDateTimeField
from spokes.letters.forms import IssueLetterForm


class ConferenceForm(Form):
    """Plan a press conference: what its notice to the regulator must state."""

    unit = SelectField(_l("Đơn vị tổ chức"), validators=[DataRequired()])
    title = StringField(_l("Nội dung họp báo (một dòng)"), filters=[strip],
                        validators=[DataRequired(_l("Vui lòng nhập nội dung họp báo.")), Length(max=255)])
    content = TextAreaField(_l("Nội dung chi tiết"), filters=[strip], validators=[Optional(), Length(max=5000)])
    starts_at = VnDateTimeField(_l("Thời điểm họp báo (giờ Việt Nam)"),
                                validators=[DataRequired(_l("Vui lòng nhập thời điểm họp báo."))])
    place = StringField(_l("Địa điểm"), filters=[strip],
                        validators=[DataRequired(_l("Vui lòng nhập địa điểm họp báo.")), Length(max=255)])
    chair_name = StringField(_l("Người chủ trì"), filters=[strip],
                             validators=[DataRequired(_l("Vui lòng nhập người chủ trì họp báo.")), Length(max=255)])
    chair_title = StringField(_l("Chức vụ người chủ trì"), filters=[strip],
                              validators=[DataRequired(_l("Vui lòng nhập chức vụ người chủ trì.")), Length(max=255)])
    invited_outlets = TextAreaField(_l("Cơ quan báo chí được mời (mỗi dòng một cơ quan)"), filters=[strip],
                                    validators=[Optional(), Length(max=3000)])
    regulator_name = StringField(_l("Cơ quan nhận thông báo (cơ quan quản lý nhà nước về báo chí)"), filters=[strip],
                                 validators=[DataRequired(_l("Vui lòng nhập cơ quan nhận thông báo.")), Length(max=255)])
    submit = SubmitField(_l("Lưu họp báo"))


class NoticeForm(IssueLetterForm):
    """Issue the notice to the regulator, or preview it first (nothing is numbered then)."""

    recipient = StringField(_l("Kính gửi"), validators=[DataRequired(), Length(max=500)])


class SentForm(Form):
    """When the issued notice left for the regulator, and how."""

    sent_at = VnDateTimeField(_l("Thời điểm gửi (giờ Việt Nam)"),
                              validators=[DataRequired(_l("Vui lòng nhập thời điểm gửi."))])
    via = StringField(_l("Hình thức gửi"), filters=[strip], validators=[Optional(), Length(max=120)],
                      description=_l("Ví dụ: hệ thống quản lý văn bản, thư điện tử, gửi trực tiếp."))
    submit = SubmitField(_l("Ghi nhận đã gửi"))


class RefusalForm(Form):
    """The regulator's written refusal."""

    refused_at = VnDateTimeField(_l("Thời điểm nhận văn bản không đồng ý (giờ Việt Nam)"),
                                 validators=[DataRequired(_l("Vui lòng nhập thời điểm."))])
    document = StringField(_l("Số, ký hiệu, ngày văn bản"), filters=[strip],
                           validators=[DataRequired(_l("Vui lòng nhập số, ký hiệu văn bản.")), Length(max=120)])
    reason = TextAreaField(_l("Lý do nêu trong văn bản"), filters=[strip], validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Ghi nhận không đồng ý"))
