"""Form fields shared by every feature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SubmitField
from wtforms.validators import Optional

from spokes.core.clock import VN_TZ
from spokes.core.params import date_in_range

OUT_OF_RANGE = _l("Ngày phải nằm trong khoảng từ năm 2000 đến năm 2100.")


def check_date_range(value: date | datetime | None) -> None:
    """Raise the field error for a date outside 2000–2100 (date arithmetic past that overflows)."""
    if not date_in_range(value):
        raise ValueError(OUT_OF_RANGE)


class BoundedDateField(DateField):
    """WTForms' DateField, refusing dates outside 2000–2100 with a Vietnamese message."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date, then check its range."""
        super().process_formdata(valuelist)
        if not date_in_range(self.data):
            self.data = None
            raise ValueError(OUT_OF_RANGE)

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # the HTML date input sends ISO; a plain text box gets dd/mm/yyyy
# The HTML datetime-local input sends the first two; people typing get the Vietnamese one.
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


class VnDateField(DateField):
    """A date typed as an HTML date (yyyy-mm-dd) or as dd/mm/yyyy."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field with both accepted formats."""
        super().__init__(label, validators, format=list(DATE_FORMATS), **kwargs)

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
    """A date and time typed in Vietnamese time (HTML datetime-local, or dd/mm/yyyy HH:MM).

    ``data`` is an aware UTC datetime, so services never see local times. Optional unless
    the form passes other validators.
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field, accepting the HTML formats and the Vietnamese one."""
        super().__init__(label, validators or [Optional()], format=list(DATETIME_FORMATS), **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M")
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
