"""Public forms: ask a question, look a request up, follow up, withdraw.

Every field has a server-side length limit and a Vietnamese message; WTForms' own English
messages (bad date, bad choice) are replaced through the fields' message arguments.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from spokes.attachments.store import PUBLIC_KINDS
from spokes.core.clock import VN_TZ, now, today_vn
from spokes.core.forms import Form, BoundedDateField, VnTimeField, strip, upload_error
from spokes.core.uploads import UploadRejected, sniff_stream
from spokes.portal.services import PUBLIC_TYPES, card_problem
from spokes.press_requests.labels import TYPE_LABELS
from spokes.press_requests.models import RequestType

CREDENTIAL_CARD = "card"
CREDENTIAL_LETTER = "letter"
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # typed dd/mm/yyyy in a text box; ISO still read
_PHONE = re.compile(r"^[0-9+().\s-]{6,40}$")
_CARD = re.compile(r"^[0-9A-Za-zĐđ./\s-]{1,40}$")


def _phone(_form: FlaskForm, field: StringField) -> None:
    if field.data and (not _PHONE.match(field.data) or sum(ch.isdigit() for ch in field.data) < 8):
        raise ValidationError(_l("Số điện thoại chỉ gồm chữ số, dấu cách, dấu + - . ( ) và có ít nhất 8 chữ số."))


def _http_url(_form: FlaskForm, field: URLField) -> None:
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in field.data):
        raise ValidationError(_l("Đường dẫn phải bắt đầu bằng http:// hoặc https:// và không chứa dấu cách."))


def _upload_accepted(field: FileField) -> bool:
    """Check a public upload by its content, never by its name or the browser's Content-Type.

    The stream is rewound for storing; a refusal becomes the field's error.
    """
    try:
        sniff_stream(field.data.stream, PUBLIC_KINDS, max_bytes=current_app.config["PUBLIC_UPLOAD_MAX_BYTES"])
    except UploadRejected as err:
        field.errors.append(upload_error(err))
        return False
    return True


class AskForm(Form):
    """The public question form (issue 5)."""

    name = StringField(_l("Họ và tên"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập họ và tên.")),
        Length(max=150, message=_l("Họ và tên tối đa %(max)d ký tự."))])
    agency = StringField(_l("Cơ quan báo chí"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập tên cơ quan báo chí.")),
        Length(max=200, message=_l("Tên cơ quan báo chí tối đa %(max)d ký tự."))])
    email = EmailField(_l("Thư điện tử"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")),
        Length(max=254, message=_l("Địa chỉ thư điện tử tối đa %(max)d ký tự.")),
        Email(_l("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@baochi.vn)."))])
    phone = StringField(_l("Số điện thoại"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập số điện thoại để đơn vị liên hệ khi cần.")),
        Length(max=40, message=_l("Số điện thoại tối đa %(max)d ký tự.")), _phone])

    credential = RadioField(
        _l("Thẻ nhà báo hoặc giấy giới thiệu"),
        choices=[SelectChoice(CREDENTIAL_CARD, _l("Tôi có thẻ nhà báo còn hạn")),
                 SelectChoice(CREDENTIAL_LETTER, _l("Tôi không có thẻ nhà báo còn hạn: gửi kèm giấy giới thiệu của cơ quan báo chí"))],
        default=CREDENTIAL_CARD,
        validators=[DataRequired(_l("Vui lòng chọn loại giấy tờ."))],
        invalid_choice_message=_l("Vui lòng chọn một loại giấy tờ trong danh sách."),
    )
    card_number = StringField(_l("Số thẻ nhà báo"), filters=[strip], validators=[
        Optional(), Length(max=40, message=_l("Số thẻ tối đa %(max)d ký tự."))])
    card_expiry = BoundedDateField(_l("Ngày hết hạn của thẻ"), format=DATE_FORMATS, validators=[Optional()],
                            invalid_value_message=_l("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."))
    letter = FileField(_l("Giấy giới thiệu (PDF, JPG hoặc PNG, tối đa 10 MB)"),
                       render_kw={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"})

    unit = SelectField(
        _l("Đơn vị nhận câu hỏi"), coerce=int, validators=[InputRequired(_l("Vui lòng chọn đơn vị."))],
        invalid_choice_message=_l("Vui lòng chọn một đơn vị trong danh sách."),
        invalid_value_message=_l("Vui lòng chọn một đơn vị trong danh sách."),
        render_kw={"data-filter-label": _l("Lọc danh sách đơn vị (gõ có hoặc không dấu)")},
    )
    type = RadioField(
        _l("Loại yêu cầu"),
        choices=[SelectChoice(t.value, TYPE_LABELS[t]) for t in PUBLIC_TYPES],
        validators=[DataRequired(_l("Vui lòng chọn loại yêu cầu."))],
        invalid_choice_message=_l("Vui lòng chọn một loại yêu cầu trong danh sách."),
    )
    subject = StringField(_l("Tiêu đề"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập tiêu đề.")),
        Length(min=5, max=255, message=_l("Tiêu đề cần từ %(min)d đến %(max)d ký tự."))])
    questions = TextAreaField(_l("Nội dung câu hỏi"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập nội dung câu hỏi.")),
        Length(min=10, max=8000, message=_l("Nội dung câu hỏi cần từ %(min)d đến %(max)d ký tự."))])
    article_url = URLField(_l("Đường dẫn bài báo liên quan (nếu có)"), filters=[strip], validators=[
        Optional(), Length(max=1000, message=_l("Đường dẫn tối đa %(max)d ký tự.")), _http_url])

    agency_document = FileField(
        _l("Văn bản của cơ quan báo chí (PDF, JPG hoặc PNG, tối đa 10 MB)"),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"})

    interview_date = BoundedDateField(_l("Ngày mong muốn phỏng vấn"), format=DATE_FORMATS, validators=[Optional()],
                               invalid_value_message=_l("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."))
    interview_time = VnTimeField(_l("Giờ mong muốn"), validators=[Optional()],
                               invalid_value_message=_l("Giờ không hợp lệ; hãy nhập theo dạng giờ:phút, ví dụ 14:30."))
    interview_place = StringField(_l("Địa điểm mong muốn"), filters=[strip], validators=[
        Optional(), Length(max=255, message=_l("Địa điểm tối đa %(max)d ký tự."))])

    consent = BooleanField(_l("Tôi đồng ý công bố họ tên của tôi cùng câu trả lời trên trang tin"))
    # Honeypot: hidden from people (CSS), left empty by them; bots fill every box.
    website = StringField(_l("Để trống ô này"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Gửi câu hỏi"))

    def set_units(self, units: list[tuple[int, str]]) -> None:
        """Offer these (id, label) pairs in the unit select."""
        self.unit.choices = [SelectChoice(value, label) for value, label in units]

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def,override]
        """Validate each field, then the rules between fields (credential, interview)."""
        ok = super().validate(extra_validators)
        if self.credential.data == CREDENTIAL_CARD:
            ok = self._check_card() and ok
        elif self.credential.data == CREDENTIAL_LETTER:
            ok = self._check_letter() and ok
        if self.type.data == RequestType.INTERVIEW.value:
            ok = self._check_interview() and ok
        if self.agency_document_attached():  # whatever the type: a file that is kept is checked
            ok = self._check_agency_document() and ok
        return ok

    def agency_document_attached(self) -> bool:
        """Return whether a file was sent in the press agency's document field."""
        upload = self.agency_document.data
        return isinstance(upload, FileStorage) and bool(upload.filename)

    def _check_agency_document(self) -> bool:
        return _upload_accepted(self.agency_document)

    def _check_card(self) -> bool:
        ok = True
        if not self.card_number.errors:
            if not self.card_number.data:
                self.card_number.errors.append(_l("Vui lòng nhập số thẻ nhà báo."))
                ok = False
            elif not _CARD.match(self.card_number.data):
                self.card_number.errors.append(_l("Số thẻ chỉ gồm chữ, số và các dấu / . -"))
                ok = False
        if not self.card_expiry.errors:
            problem = card_problem(self.card_expiry.data, today_vn())
            if problem:
                self.card_expiry.errors.append(problem)
                ok = False
        return ok and not self.card_number.errors and not self.card_expiry.errors

    def _check_letter(self) -> bool:
        upload = self.letter.data
        if not isinstance(upload, FileStorage) or not upload.filename:
            self.letter.errors.append(_l("Người chưa có thẻ nhà báo cần gửi kèm giấy giới thiệu của cơ quan báo chí."))
            return False
        return _upload_accepted(self.letter)

    def _check_interview(self) -> bool:
        ok = True
        if not self.interview_date.errors and self.interview_date.data is None:
            self.interview_date.errors.append(_l("Vui lòng chọn ngày mong muốn phỏng vấn."))
            ok = False
        if not self.interview_time.errors and self.interview_time.data is None:
            self.interview_time.errors.append(_l("Vui lòng chọn giờ mong muốn phỏng vấn."))
            ok = False
        wanted = self.interview_wanted_at()
        if ok and wanted is not None:
            moment = now()
            if wanted <= moment:
                self.interview_date.errors.append(_l("Thời gian phỏng vấn mong muốn phải ở tương lai."))
                ok = False
            elif wanted > moment + timedelta(days=366):
                self.interview_date.errors.append(_l("Thời gian phỏng vấn mong muốn phải trong vòng một năm tới."))
                ok = False
        return ok and not self.interview_date.errors and not self.interview_time.errors

    def interview_wanted_at(self) -> datetime | None:
        """Return the wished interview time as aware UTC (entered in Vietnamese time)."""
        if self.interview_date.data is None or self.interview_time.data is None:
            return None
        local = datetime.combine(self.interview_date.data, self.interview_time.data, tzinfo=VN_TZ)
        return local.astimezone(UTC)

    def has_letter(self) -> bool:
        """Return whether the journalist relies on a letter of introduction."""
        return self.credential.data == CREDENTIAL_LETTER


class TrackForm(Form):
    """Look a request up by its reference and the journalist's e-mail."""

    reference = StringField(_l("Mã yêu cầu"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập mã yêu cầu.")), Length(max=40, message=_l("Mã yêu cầu tối đa %(max)d ký tự."))])
    email = EmailField(_l("Thư điện tử đã dùng khi gửi"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")),
        Length(max=254, message=_l("Địa chỉ thư điện tử tối đa %(max)d ký tự.")),
        Email(_l("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@baochi.vn)."))])
    submit = SubmitField(_l("Gửi đường dẫn theo dõi mới"))


class FollowUpForm(Form):
    """A follow-up message from the journalist."""

    body = TextAreaField(_l("Tin nhắn bổ sung"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập nội dung tin nhắn.")),
        Length(max=5000, message=_l("Tin nhắn tối đa %(max)d ký tự."))])
    submit = SubmitField(_l("Gửi tin nhắn"))


class WithdrawForm(Form):
    """Withdraw the request, with an optional reason and an explicit confirmation."""

    reason = TextAreaField(_l("Lý do rút yêu cầu (không bắt buộc)"), filters=[strip], validators=[
        Optional(), Length(max=2000, message=_l("Lý do tối đa %(max)d ký tự."))])
    # No full stop: the error summary writes "<label>: <message>".
    confirm = BooleanField(_l("Tôi xác nhận rút yêu cầu này; đơn vị sẽ dừng xử lý"), validators=[
        DataRequired(_l("Vui lòng đánh dấu ô xác nhận để rút yêu cầu."))])
    submit = SubmitField(_l("Rút yêu cầu"))
