"""The GET filters of the reports page and its drill-down lists (no CSRF: they change nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from spokes.core.forms import Form, VnDateField
from spokes.press_requests.labels import CHANNEL_LABELS, TYPE_LABELS
from spokes.reports.services import AGEING_BUCKETS, METRIC_LABELS, METRICS, Period, ReportInputError, make_period

CHOICE_MESSAGE = _l("Lựa chọn không hợp lệ.")


class ReportDateField(VnDateField):
    """A report period date: optional unless the form says otherwise."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field; an empty date means "use the default period"."""
        super().__init__(label, validators or [Optional()], **kwargs)


MAX_ID = 2**31 - 1  # database integer ids; a larger number is a typing error, not a lookup


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


class _Select(SelectField):
    """A select with a Vietnamese message for invalid values; styled as a select by the macro."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", CHOICE_MESSAGE)
        kwargs.setdefault("invalid_choice_message", CHOICE_MESSAGE)
        super().__init__(*args, **kwargs)
        self.type = "SelectField"


def choice(value: Any, label: Any) -> SelectChoice:
    """Return one option of a select field."""
    return SelectChoice(value=value, label=label)


SCOPE_CHOICES = [
    choice("", _l("Tự động (gồm đơn vị trực thuộc nếu được phép)")),
    choice("subtree", _l("Gồm các đơn vị trực thuộc")),
    choice("unit", _l("Chỉ riêng đơn vị đã chọn")),
]


class ReportFilterForm(Form):
    """Period (from/to), unit and scope of a report.

    The unit is checked against the user's reach by the view (403), not by the choices:
    an out-of-scope unit is a permission matter, not a typing mistake.
    """

    class Meta:
        csrf = False

    date_from = ReportDateField(_l("Từ ngày"), name="from")
    date_to = ReportDateField(_l("Đến ngày"), name="to")
    unit = _Select(_l("Đơn vị"), coerce=_optional_int, choices=[], validate_choice=False, default=None)
    scope = _Select(_l("Phạm vi"), choices=SCOPE_CHOICES, default="")

    def subtree(self) -> bool | None:
        """Return True/False for an explicit scope choice, None to let the user's rights decide."""
        return {"subtree": True, "unit": False}.get(self.scope.data or "")

    def checked_period(self, today: date) -> Period | None:
        """Validate the fields and the period (order, years, five-year limit).

        Return the period, or None with the errors set on the fields.
        """
        if not self.validate():
            return None
        try:
            return make_period(self.date_from.data, self.date_to.data, today=today)
        except ReportInputError as err:
            self.date_to.errors = [*self.date_to.errors, err.message]
            return None


def _code_choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [choice("", _l("Tất cả"))] + [choice(code.value, label) for code, label in labels.items()]


class DrillDownForm(ReportFilterForm):
    """A report's filters plus which figure to list."""

    metric = _Select(_l("Chỉ tiêu"), choices=[choice(m, METRIC_LABELS[m]) for m in METRICS], default="received")
    type = _Select(_l("Loại yêu cầu"), choices=_code_choices(TYPE_LABELS), default="")
    channel = _Select(_l("Kênh tiếp nhận"), choices=_code_choices(CHANNEL_LABELS), default="")
    month = _Select(_l("Tháng"), choices=[], validate_choice=False, default="")
    ground = IntegerField(_l("Căn cứ từ chối"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    bucket = _Select(_l("Nhóm quá hạn"), choices=[choice("", _l("Tất cả"))] + [choice(b.code, b.label) for b in AGEING_BUCKETS],
                     default="")
    page = IntegerField(_l("Trang"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)

    def validate_month(self, field: SelectField) -> None:
        """Accept a month of the period only, written YYYY-MM."""
        if not field.data:
            return
        try:
            year, month = (int(x) for x in str(field.data).split("-"))
            date(year, month, 1)
        except ValueError:
            raise ValidationError(_l("Tháng không hợp lệ; hãy dùng dạng YYYY-MM.")) from None

    def validate_ground(self, field: IntegerField) -> None:
        """A legal ground narrows refusals only."""
        if field.data is not None and self.metric.data != "refused":
            raise ValidationError(_l("Căn cứ từ chối chỉ dùng với chỉ tiêu “từ chối”."))

    def validate_bucket(self, field: SelectField) -> None:
        """An ageing bucket narrows overdue requests only."""
        if field.data and self.metric.data != "overdue":
            raise ValidationError(_l("Nhóm quá hạn chỉ dùng với chỉ tiêu “đang quá hạn”."))

    def checked_period(self, today: date) -> Period | None:
        """Validate as a report filter, then refuse a month outside the period."""
        period = super().checked_period(today)
        if period is not None and self.month.data and self.month.data not in period.months():
            self.month.errors = [*self.month.errors, _l("Tháng này nằm ngoài kỳ báo cáo.")]
            return None
        return period
