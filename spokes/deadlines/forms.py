"""Forms of the deadline calculator and of the rulebook and calendar admin screens."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import TextInput

from spokes.deadlines.models import CalendarDayKind
from spokes.deadlines.services import MAX_YEAR, MIN_YEAR
from spokes.press_requests.labels import TYPE_LABELS
from spokes.press_requests.models import CONCLUSION_TYPES, RequestType
from spokes.core.forms import Form

CONFIDENCE_LABELS = {
    "Q": _l("Trích từ cơ sở dữ liệu pháp luật"),
    "S": _l("Diễn giải từ nguồn thứ cấp"),
    "U": _l("Chưa kiểm chứng, quản trị viên có thể sửa"),
}

CONFIDENCE_CHOICES = [
    SelectChoice("Q", _l("Q — trích từ cơ sở dữ liệu pháp luật")),
    SelectChoice("S", _l("S — diễn giải từ nguồn thứ cấp")),
    SelectChoice("U", _l("U — chưa kiểm chứng, quản trị viên có thể sửa")),
]

TIME_UNIT_LABELS = {
    "working_days": _l("ngày làm việc"),
    "calendar_days": _l("ngày theo lịch"),
    "hours": _l("giờ"),
}

MILESTONE_LABELS = {
    "main": _l("Thời hạn chính (tính từ ngày nhận yêu cầu)"),
    "conclusion": _l("Gửi kết luận giải quyết khiếu nại, tố cáo cho cơ quan báo chí (tính từ ngày có kết luận)"),
}

CALENDAR_KIND_LABELS = {
    CalendarDayKind.DAY_OFF.value: _l("Ngày nghỉ thêm"),
    CalendarDayKind.WORKING_DAY.value: _l("Ngày làm bù (làm việc vào ngày nghỉ)"),
    CalendarDayKind.CANCELLED_DAY_OFF.value: _l("Hủy ngày nghỉ (ngày thư viện coi là nghỉ nhưng thực tế làm việc)"),
}

_INVALID_CHOICE = _l("Lựa chọn không hợp lệ.")
_INVALID_NUMBER = _l("Vui lòng nhập một số nguyên.")

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)(?::([0-5]\d))?$")


class _TypedField(Field):
    """A value typed in a text box: shown back as typed, or as ``display``; read by ``parse``."""

    widget = TextInput()
    display = ""
    kind: type = object

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime(self.display) if isinstance(self.data, self.kind) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed value; an unreadable one becomes a field error."""
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if text:
            self.data = self.parse(text)

    def parse(self, text: str) -> Any:
        """Return the value the text stands for, or raise ValueError with the field's message."""
        raise NotImplementedError


class VNDateField(_TypedField):
    """A date typed as dd/mm/yyyy (or yyyy-mm-dd, as an HTML date input sends it)."""

    display = "%d/%m/%Y"
    kind = date

    def parse(self, text: str) -> date:
        """Read the date in any of the accepted formats."""
        if len(text) <= 20:
            for fmt in _DATE_FORMATS:
                # No 2000–2100 bound here: every use of this field checks its own years
                # (year_between), with a message naming them.
                try:
                    return datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
        raise ValueError(_l("Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm, ví dụ 01/07/2026."))


class VNTimeField(_TypedField):
    """A time of day typed as HH:MM (24-hour clock)."""

    display = "%H:%M"
    kind = time

    def parse(self, text: str) -> time:
        """Read the time as HH:MM (or HHhMM), seconds optional."""
        match = _TIME_RE.match(text) if len(text) <= 10 else None
        if match is None:
            raise ValueError(_l("Giờ không hợp lệ; hãy nhập theo dạng giờ:phút, ví dụ 09:30."))
        return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def year_between(low: int, high: int) -> Any:
    """Return a validator that accepts dates whose year is from low to high."""

    def check(form: Any, field: Any) -> None:
        if isinstance(field.data, date) and not low <= field.data.year <= high:
            raise ValidationError(_l("Năm phải từ %(low)d đến %(high)d.", low=low, high=high))

    return check


def choices_of(labels: dict[Any, Any]) -> list[SelectChoice]:
    """Turn a {code: label} map into select choices."""
    return [SelectChoice(str(code), label) for code, label in labels.items()]


def type_choices() -> list[SelectChoice]:
    """Return the six request types with their Vietnamese labels."""
    return [SelectChoice(t.value, TYPE_LABELS[t]) for t in RequestType]


class CalculatorForm(Form):
    """The public calculator: a GET form, so it needs no CSRF token and works without JavaScript."""

    class Meta:
        csrf = False

    type = SelectField(_l("Loại yêu cầu"), invalid_choice_message=_INVALID_CHOICE,
                       validators=[InputRequired(_l("Vui lòng chọn loại yêu cầu."))])
    received_date = VNDateField(
        _l("Ngày nhận (ngày/tháng/năm)"),
        validators=[InputRequired(_l("Vui lòng nhập ngày nhận.")), year_between(1900, 2100)],
    )
    received_time = VNTimeField(
        _l("Giờ nhận (giờ:phút)"), validators=[InputRequired(_l("Vui lòng nhập giờ nhận."))]
    )
    milestone = SelectField(
        _l("Mốc thời hạn"), invalid_choice_message=_INVALID_CHOICE, choices=choices_of(MILESTONE_LABELS),
        default="main", validators=[Optional()],
    )
    submit = SubmitField(lazy_pgettext("button", "Tính thời hạn"))  # the menu entry of the same words names the page

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = type_choices()

    def validate_milestone(self, field: Any) -> None:
        """Allow the conclusion milestone only for forwarded complaints and denunciations."""
        if field.data == "conclusion" and self.type.data not in {t.value for t in CONCLUSION_TYPES}:
            raise ValidationError(_l("Mốc gửi kết luận chỉ áp dụng cho khiếu nại, tố cáo do báo chí chuyển đến."))

    def received_at(self) -> datetime:
        """Return the received date and time as a naive datetime in Vietnamese time."""
        return datetime.combine(self.received_date.data, self.received_time.data)


def _parse_offsets(text: str | list[int]) -> list[int]:
    if isinstance(text, (list, tuple)):  # the rule's stored list: a post that left the field out keeps it
        text = ",".join(str(v) for v in text)
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise ValueError
    return [int(p) for p in parts]


class RuleForm(Form):
    """Edit one deadline rule."""

    amount = IntegerField(_l("Thời hạn"), invalid_value_message=_INVALID_NUMBER, validators=[
        InputRequired(_l("Vui lòng nhập thời hạn.")), NumberRange(1, 3650, _l("Thời hạn phải từ 1 đến 3650."))])
    unit = SelectField(_l("Đơn vị thời gian"), invalid_choice_message=_INVALID_CHOICE,
                       choices=choices_of(TIME_UNIT_LABELS))
    label = StringField(_l("Tên quy tắc"), validators=[
        DataRequired(_l("Vui lòng nhập tên quy tắc.")), Length(max=255)])
    citation_text = TextAreaField(_l("Trích dẫn (nguyên văn hoặc diễn giải)"), validators=[
        DataRequired(_l("Vui lòng nhập trích dẫn.")), Length(max=5000)])
    citation_source = StringField(_l("Nguồn (văn bản, điều, khoản)"), validators=[
        DataRequired(_l("Vui lòng nhập nguồn.")), Length(max=255)])
    confidence = SelectField(_l("Độ tin cậy"), invalid_choice_message=_INVALID_CHOICE, choices=CONFIDENCE_CHOICES)
    reminder_offsets = StringField(_l("Nhắc hạn trước (số ngày làm việc, cách nhau bởi dấu phẩy)"),
                                   validators=[Length(max=50)])
    extension_allowed = BooleanField(_l("Cho phép gia hạn"))
    extension_max_amount = IntegerField(
        _l("Mức gia hạn tối đa (cùng đơn vị thời gian)"), invalid_value_message=_INVALID_NUMBER, default=0,
        validators=[
            InputRequired(_l("Vui lòng nhập mức gia hạn tối đa (0 nếu không cho gia hạn).")),
            NumberRange(0, 365, _l("Mức gia hạn tối đa phải từ 0 đến 365.")),
        ],
    )
    extension_reason_required = BooleanField(_l("Gia hạn phải nêu lý do"), default=True)
    escalate_after_working_days = IntegerField(
        _l("Báo cấp trên sau khi quá hạn (số ngày làm việc)"), invalid_value_message=_INVALID_NUMBER, default=2,
        validators=[InputRequired(_l("Vui lòng nhập số ngày.")), NumberRange(0, 365, _l("Số ngày phải từ 0 đến 365."))],
    )
    overdue_note = TextAreaField(_l("Ghi chú khi quá hạn (hiển thị cho đơn vị)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Lưu quy tắc"))

    def validate_reminder_offsets(self, field: Any) -> None:
        """Accept a comma-separated list of up to ten whole numbers from 0 to 365."""
        try:
            values = _parse_offsets(field.data)
        except ValueError as err:
            raise ValidationError(_l("Hãy nhập các số nguyên cách nhau bởi dấu phẩy, ví dụ 3,1.")) from err
        if len(values) > 10 or any(v > 365 for v in values):
            raise ValidationError(_l("Tối đa 10 mốc, mỗi mốc từ 0 đến 365."))

    def validate_extension_max_amount(self, field: Any) -> None:
        """Require a positive maximum when extensions are allowed."""
        if self.extension_allowed.data and (field.data or 0) < 1:
            raise ValidationError(_l("Khi cho phép gia hạn, mức tối đa phải từ 1 trở lên."))

    def offsets(self) -> list[int]:
        """Return the parsed reminder offsets (call after validation)."""
        return _parse_offsets(self.reminder_offsets.data)


class GroundForm(Form):
    """Edit one refusal ground."""

    text = TextAreaField(_l("Nội dung căn cứ từ chối"), validators=[
        DataRequired(_l("Vui lòng nhập nội dung.")), Length(max=2000)])
    source = StringField(_l("Nguồn (văn bản, điều, khoản)"), validators=[
        DataRequired(_l("Vui lòng nhập nguồn.")), Length(max=255)])
    confidence = SelectField(_l("Độ tin cậy"), invalid_choice_message=_INVALID_CHOICE, choices=CONFIDENCE_CHOICES)
    submit = SubmitField(_l("Lưu căn cứ"))


class VersionForm(Form):
    """Create a new version of a rulebook."""

    code = StringField(_l("Mã bộ quy tắc"), validators=[
        DataRequired(_l("Vui lòng nhập mã.")), Length(min=2, max=40),
        Regexp(r"^[a-z0-9][a-z0-9._-]+$", message=_l("Chỉ dùng chữ thường không dấu, số, dấu chấm và gạch nối."))])
    name = StringField(_l("Tên bộ quy tắc"), validators=[
        DataRequired(_l("Vui lòng nhập tên.")), Length(max=255)])
    valid_from = VNDateField(_l("Hiệu lực từ ngày (ngày/tháng/năm)"), validators=[
        InputRequired(_l("Vui lòng nhập ngày bắt đầu hiệu lực.")), year_between(MIN_YEAR, MAX_YEAR)])
    notes = TextAreaField(_l("Ghi chú (căn cứ ban hành, lý do)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Tạo phiên bản mới"))


class CalendarDayForm(Form):
    """Add an extra day off or a make-up working day."""

    day = VNDateField(_l("Ngày (ngày/tháng/năm)"), validators=[
        InputRequired(_l("Vui lòng nhập ngày.")), year_between(MIN_YEAR, MAX_YEAR)])
    kind = RadioField(_l("Loại điều chỉnh"), invalid_choice_message=_INVALID_CHOICE,
                      choices=choices_of(CALENDAR_KIND_LABELS), default=CalendarDayKind.DAY_OFF.value,
                      validators=[InputRequired(_l("Vui lòng chọn loại điều chỉnh."))])
    reason = StringField(_l("Lý do (ví dụ: số văn bản thông báo nghỉ)"), validators=[
        DataRequired(_l("Vui lòng nêu lý do.")), Length(max=255)])
    document = StringField(_l("Văn bản (số, ngày ban hành)"), validators=[Optional(), Length(max=255)])
    submit = SubmitField(_l("Thêm vào lịch"))
