"""The audit viewer's filters; the view fills the choices."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from spokes.core.forms import BoundedDateField, Form


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class AuditFilterForm(Form):
    """Filters of the audit viewer (a GET form: no CSRF token needed, nothing changes)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Người thực hiện"), filters=[_strip], validators=[Optional(), Length(max=100)])
    unit_id = SelectField(_l("Đơn vị (gồm cấp dưới)"), coerce=int, validators=[Optional()])
    object_type = SelectField(_l("Loại đối tượng"), validators=[Optional()])
    object_id = IntegerField(_l("Mã số đối tượng"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    action = SelectField(_l("Hành động"), validators=[Optional()])
    date_from = BoundedDateField(_l("Từ ngày"), validators=[Optional()])
    date_to = BoundedDateField(_l("Đến ngày"), validators=[Optional()])
    submit = SubmitField(_l("Lọc"))

    def validate_date_to(self, field: Any) -> None:
        """The range must not run backwards."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("“Đến ngày” phải sau “Từ ngày”."))
