"""Form fields shared by every feature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SubmitField, TimeField
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from spokes.core.clock import VN_TZ
from spokes.core.i18n import reader_language
from spokes.core.params import date_in_range

OUT_OF_RANGE = _l("Ngày phải nằm trong khoảng từ năm 2000 đến năm 2100.")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")  # people type dd/mm/yyyy; ISO still comes from older pages and scripts


def check_date_range(value: date | datetime | None) -> None:
    """Raise the field error for a date outside 2000–2100 (date arithmetic past that overflows)."""
    if not date_in_range(value):
        raise ValueError(OUT_OF_RANGE)


# Dates are typed as dd/mm/yyyy in a plain text box, whatever the browser's locale (the HTML date
# input shows mm/dd/yyyy in an American browser); the server parses them (issue 20). The format
# hint is part of the field, so the one field macro shows it and links it to the input.
DATE_HINT = _l("Nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2026.")
DATETIME_HINT = _l("Nhập theo dạng ngày/tháng/năm giờ:phút (24 giờ), ví dụ 31/12/2026 14:30.")
TIME_HINT = _l("Giờ:phút theo 24 giờ, ví dụ 14:30.")
DATE_PATTERN = r"\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\s*"
TIME_PATTERN = r"\s*([01]?\d|2[0-3])[:hH][0-5]\d\s*"


def _text_kw(kwargs: dict[str, Any], placeholder: str, pattern: str) -> dict[str, Any]:
    render_kw = {"placeholder": placeholder, "inputmode": "numeric", "pattern": pattern, "autocomplete": "off"}
    render_kw.update(kwargs.get("render_kw") or {})
    kwargs["render_kw"] = render_kw
    return kwargs


def _unreadable(field: Any) -> bool:
    """Keep only the parse error of a field whose typed text could not be read; say whether there was one.

    A required field's validator would otherwise replace it with "please enter …", which misleads
    someone who typed 31/02/2026.
    """
    if not field.process_errors or not field.raw_data or not "".join(map(str, field.raw_data)).strip():
        return False
    field.errors = list(field.process_errors)
    return True


class TextDateMixin:
    """Render a date as a text box showing dd/mm/yyyy (the formats parsed stay as the field says)."""

    widget = TextInput()
    format_hint = DATE_HINT
    raw_data: list[Any] | None
    data: Any

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(str(v) for v in self.raw_data)
        return self.data.strftime("%d/%m/%Y") if isinstance(self.data, date) else ""

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """Report a typed date that cannot be read as such, not as a missing one ("Vui lòng nhập …")."""
        if _unreadable(self):
            return False
        return super().validate(form, extra_validators)  # type: ignore[misc]


class BoundedDateField(TextDateMixin, DateField):
    """A date typed as dd/mm/yyyy (ISO accepted), refusing dates outside 2000–2100 with a Vietnamese message."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field as a dd/mm/yyyy text box."""
        kwargs.setdefault("format", list(DATE_FORMATS))
        # A field may say it its own way ("ngày/tháng/năm" on the public form).
        kwargs.setdefault("invalid_value_message", _l("Ngày không hợp lệ; hãy nhập theo dạng dd/mm/yyyy."))
        super().__init__(label, validators, **_text_kw(kwargs, "dd/mm/yyyy", DATE_PATTERN))

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date, then check its range."""
        super().process_formdata(valuelist)
        if not date_in_range(self.data):
            self.data = None
            raise ValueError(OUT_OF_RANGE)

# The HTML datetime-local input sends the first two; people typing get the Vietnamese one.
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


class VnDateField(TextDateMixin, DateField):
    """A date typed as dd/mm/yyyy (or yyyy-mm-dd) in a text box."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field with both accepted formats."""
        super().__init__(label, validators, format=list(DATE_FORMATS), **_text_kw(kwargs, "dd/mm/yyyy", DATE_PATTERN))

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date, with a Vietnamese message when it cannot be read."""
        self.data = None
        text = " ".join(str(v) for v in valuelist).strip() if valuelist else ""
        if not text:
            return
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            check_date_range(parsed)
            self.data = parsed
            return
        raise ValueError(_l("Ngày không hợp lệ; hãy nhập theo dạng dd/mm/yyyy."))


class VnDateTimeField(DateTimeLocalField):
    """A date and time typed in Vietnamese time as dd/mm/yyyy HH:MM (24 h) in a text box; ISO accepted.

    ``data`` is an aware UTC datetime, so services never see local times. Optional unless
    the form passes other validators.
    """

    widget = TextInput()
    format_hint = DATETIME_HINT

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field, accepting the Vietnamese format and the HTML ones."""
        kwargs = _text_kw(kwargs, "dd/mm/yyyy HH:MM", r".{10,25}")
        super().__init__(label, validators or [Optional()], format=list(DATETIME_FORMATS), **kwargs)

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        """Report a typed moment that cannot be read as such, not as a missing one."""
        if _unreadable(self):
            return False
        return super().validate(form, extra_validators)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed text as Vietnamese time and keep it as UTC."""
        self.data = None
        text = " ".join(str(v) for v in valuelist).strip() if valuelist else ""
        if not text:
            return
        if len(text) <= 25:
            for fmt in DATETIME_FORMATS:
                try:
                    local = datetime.strptime(text, fmt)
                except ValueError:
                    continue
                check_date_range(local)
                self.data = local.replace(tzinfo=VN_TZ).astimezone(UTC)
                return
        raise ValueError(_l("Ngày giờ không hợp lệ; hãy nhập theo dạng dd/mm/yyyy HH:MM."))


# WTForms's own messages ("This field is required.", "Not a valid choice.") ship in English and
# in languages other than Vietnamese; these are theirs in Vietnamese. Vietnamese has no plural forms.
WTFORMS_VI = {
    "Invalid field name '%s'.": "Tên trường không hợp lệ: '%s'.",
    "Field must be equal to %(other_name)s.": "Phải trùng với %(other_name)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Phải có đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Phải có từ %(min)d đến %(max)d ký tự.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải nằm trong khoảng từ %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày không được trước %(min)s.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải nằm trong khoảng từ %(min)s đến %(max)s.",
    "This field is required.": "Không được để trống.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ thư điện tử không hợp lệ.",
    "Invalid IP address.": "Địa chỉ IP không hợp lệ.",
    "Invalid Mac address.": "Địa chỉ MAC không hợp lệ.",
    "Invalid URL.": "Địa chỉ không hợp lệ.",
    "Invalid UUID.": "Mã UUID không hợp lệ.",
    "Invalid value, must be one of: %(values)s.": "Giá trị không hợp lệ; phải là một trong: %(values)s.",
    "Invalid value, can't be any of: %(values)s.": "Giá trị không hợp lệ; không được là: %(values)s.",
    "This field cannot be edited.": "Không được sửa trường này.",
    "This field is disabled and cannot have a value.": "Trường này đã khóa, không nhận giá trị.",
    "Invalid CSRF Token.": "Mã bảo vệ biểu mẫu (CSRF) không hợp lệ; vui lòng tải lại trang.",
    "CSRF token missing.": "Thiếu mã bảo vệ biểu mẫu (CSRF); vui lòng tải lại trang.",
    "CSRF failed.": "Kiểm tra mã bảo vệ biểu mẫu (CSRF) không thành công; vui lòng tải lại trang.",
    "CSRF token expired.": "Mã bảo vệ biểu mẫu (CSRF) đã hết hạn; vui lòng tải lại trang.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Chưa có danh sách để chọn.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "'%(value)s' không phải là lựa chọn hợp lệ.",
    "Not a valid datetime value.": "Ngày giờ không hợp lệ.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid week value.": "Tuần không hợp lệ.",
    "Not a valid integer value.": "Phải là một số nguyên.",
    "Not a valid decimal value.": "Phải là một số.",
    "Not a valid float value.": "Phải là một số.",
}


class WTFormsMessages:
    """WTForms's built-in messages in the reader's language: Vietnamese from ``WTFORMS_VI``, else as shipped."""

    def gettext(self, string: str) -> str:
        """Return one message."""
        return WTFORMS_VI.get(string, string) if reader_language() == "vi" else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Return a message that has a plural form in English."""
        if reader_language() == "vi" and singular in WTFORMS_VI:
            return WTFORMS_VI[singular]
        return singular if n == 1 else plural


WTFORMS_MESSAGES = WTFormsMessages()


class Form(FlaskForm):
    """Every form of the app: Flask-WTF's (CSRF on), with WTForms's own messages in the reader's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> WTFormsMessages:
            return WTFORMS_MESSAGES


class EmptyForm(Form):
    """A button-only POST form that still carries the CSRF token."""

    submit = SubmitField(_l("Xác nhận"))
class VnTimeField(TimeField):
    """A time of day typed as HH:MM on the 24-hour clock in a text box (no browser AM/PM)."""

    widget = TextInput()
    format_hint = TIME_HINT

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field; "14:30" and "14h30" are both read."""
        kwargs.setdefault("format", ["%H:%M", "%Hh%M", "%HH%M", "%H:%M:%S"])
        super().__init__(label, validators, **_text_kw(kwargs, "HH:MM", TIME_PATTERN))

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(str(v) for v in self.raw_data)
        return self.data.strftime("%H:%M") if self.data else ""


def strip(value: object) -> object:
    """Strip the spaces around typed text (a WTForms ``filters`` entry); other values pass as they are."""
    return value.strip() if isinstance(value, str) else value


def fill(form: Any, source: Any, names: Iterable[str], **renamed: str) -> None:
    """Put ``source``'s attributes into the form's fields of the same names (GET pages only).

    ``renamed`` maps a field to an attribute of another name (``refusal_ground="refusal_ground_id"``).
    """
    for name in names:
        getattr(form, name).data = getattr(source, name)
    for name, attribute in renamed.items():
        getattr(form, name).data = getattr(source, attribute)


def upload_error(err: Any) -> str:
    """Return an upload's refusal (``core.uploads.UploadRejected``) in the reader's language."""
    from flask_babel import gettext

    from spokes.core.jinja import file_size

    if err.code == "too_large" and err.max_bytes:
        return gettext("Tệp quá lớn: tối đa %(size)s.", size=file_size(err.max_bytes))
    if err.code == "too_large":
        return gettext("Tệp quá lớn.")
    if err.code == "empty":
        return gettext("Tệp tải lên rỗng (0 byte). Vui lòng chọn lại tệp.")
    if err.code == "bad_type" and err.accepted:
        return gettext("Định dạng tệp không được chấp nhận. Chỉ nhận: %(accepted)s.", accepted=err.accepted)
    if err.code == "bad_type":
        return gettext("Định dạng tệp không được chấp nhận.")
    return err.message if err.translated else gettext("Máy chủ không lưu được tệp đính kèm; chưa có gì được lưu.")
