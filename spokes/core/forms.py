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


class BoundedDateField(TextDateMixin, DateField):
    """A date typed as dd/mm/yyyy (ISO accepted), refusing dates outside 2000–2100 with a Vietnamese message."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field as a dd/mm/yyyy text box."""
        kwargs.setdefault("format", list(DATE_FORMATS))
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


class EmptyForm(FlaskForm):
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
    from flask_babel import format_decimal, gettext

    if err.code == "too_large" and err.max_bytes:
        if err.max_bytes >= 1024 * 1024:
            shown = f"{format_decimal(err.max_bytes / (1024 * 1024), format='#,##0.#')} MB"
        elif err.max_bytes >= 1024:
            shown = f"{err.max_bytes // 1024} KB"
        else:
            shown = gettext("%(n)d byte", n=err.max_bytes)
        return gettext("Tệp quá lớn: tối đa %(size)s.", size=shown)
    if err.code == "too_large":
        return gettext("Tệp quá lớn.")
    if err.code == "empty":
        return gettext("Tệp tải lên rỗng (0 byte). Vui lòng chọn lại tệp.")
    if err.code == "bad_type" and err.accepted:
        return gettext("Định dạng tệp không được chấp nhận. Chỉ nhận: %(accepted)s.", accepted=err.accepted)
    if err.code == "bad_type":
        return gettext("Định dạng tệp không được chấp nhận.")
    return err.message if err.translated else gettext("Máy chủ không lưu được tệp đính kèm; chưa có gì được lưu.")
