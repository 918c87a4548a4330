"""Forms of the unit pages: units, designations, merging and imports; the views fill the choices."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from spokes.core.forms import BoundedDateField, Form
from spokes.units.labels import DESIGNATION_KIND_LABELS, UNIT_KIND_LABELS
from spokes.units.models import HISTORICAL_KINDS, DesignationKind, Unit, UnitKind
from spokes.units.services import PREFIX_RE, is_web_url

# What a new or active unit can be: districts and towns belong to history since 01/07/2025.
CURRENT_KIND_LABELS: dict[str, Any] = {k: v for k, v in UNIT_KIND_LABELS.items() if k not in HISTORICAL_KINDS}


def unit_kind_choices(unit: Any | None) -> list[SelectChoice]:
    """Return the kinds a unit's form offers: the historical ones only for an inactive unit.

    An active unit still recorded with a historical kind keeps that one choice, so that saving
    its other settings does not force a change of kind.
    """
    if unit is not None and not unit.is_active:
        return choices_of(UNIT_KIND_LABELS)
    labels = dict(CURRENT_KIND_LABELS)
    if unit is not None and unit.kind in HISTORICAL_KINDS:
        labels[unit.kind] = UNIT_KIND_LABELS[unit.kind]
    return choices_of(labels)


NO_UNIT = 0  # the "none" choice of optional unit menus (root unit, no overseer)


def choices_of(labels: dict[Any, Any]) -> list[SelectChoice]:
    """Turn a {code: label} map into select choices."""
    return [SelectChoice(code, label) for code, label in labels.items()]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class UnitForm(Form):
    """A unit's identity and settings."""

    code = StringField(_l("Mã đơn vị"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập mã đơn vị.")), Length(max=40, message=_l("Tối đa %(max)d ký tự."))])
    name = StringField(_l("Tên đơn vị"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập tên đơn vị.")), Length(max=255, message=_l("Tối đa %(max)d ký tự."))])
    kind = SelectField(_l("Loại đơn vị"), choices=choices_of(CURRENT_KIND_LABELS))
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int)
    reference_prefix = StringField(_l("Tiền tố mã yêu cầu"), filters=[_strip, lambda v: v.upper() if isinstance(v, str) else v],
                                   validators=[Optional(), Length(max=20, message=_l("Tối đa %(max)d ký tự."))])
    approval_required = BooleanField(_l("Trả lời phải được người đứng đầu duyệt trước khi gửi"))
    phone = StringField(_l("Điện thoại liên hệ"), filters=[_strip], validators=[Optional(), Length(max=40)])
    email = EmailField(_l("Thư điện tử liên hệ"), filters=[_strip], validators=[
        Optional(), Length(max=255), Email(_l("Địa chỉ thư điện tử không hợp lệ."))])
    address = StringField(_l("Địa chỉ"), filters=[_strip], validators=[Optional(), Length(max=255)])
    portal_url = StringField(_l("Cổng/trang thông tin điện tử"), filters=[_strip], validators=[Optional(), Length(max=500)])
    intake_overseer_id = SelectField(_l("Đơn vị nhận câu hỏi “không rõ đơn vị”"), coerce=int)
    submit = SubmitField(_l("Lưu"))

    def validate_reference_prefix(self, field: Any) -> None:
        """Allow only upper-case letters, digits and dashes."""
        if field.data and not PREFIX_RE.match(field.data):
            raise ValidationError(_l("Chỉ gồm chữ in hoa A–Z, chữ số và dấu gạch ngang (ví dụ AM-VK)."))

    def validate_portal_url(self, field: Any) -> None:
        """Require an http(s) address."""
        if field.data and not is_web_url(field.data):
            raise ValidationError(_l("Địa chỉ phải bắt đầu bằng http:// hoặc https://."))


class MoveForm(Form):
    """Move a unit under another parent."""

    parent_id = SelectField(_l("Chuyển đến dưới đơn vị"), coerce=int)
    submit = SubmitField(_l("Chuyển đơn vị"))


class DesignationForm(Form):
    """A designation decision (SP-01, SP-03, SP-05)."""

    user_id = SelectField(_l("Cán bộ"), coerce=int)
    kind = SelectField(_l("Hình thức"), choices=choices_of(DESIGNATION_KIND_LABELS))
    title = StringField(_l("Chức danh công bố"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nhập chức danh.")), Length(max=255)])
    public_phone = StringField(_l("Điện thoại công bố"), filters=[_strip], validators=[Optional(), Length(max=40)])
    public_email = EmailField(_l("Thư điện tử công bố"), filters=[_strip], validators=[
        Optional(), Length(max=255), Email(_l("Địa chỉ thư điện tử không hợp lệ."))])
    document_number = StringField(_l("Số, ký hiệu"), filters=[_strip], validators=[Optional(), Length(max=80)])
    # Issue the decision (or authorisation) here: its number comes from the register of outgoing documents.
    number_from_register = BooleanField(_l("Ban hành quyết định, giấy ủy quyền qua sổ văn bản đi (lấy số tự động)"))
    document_date = BoundedDateField(_l("Ngày văn bản"), validators=[DataRequired(_l("Vui lòng nhập ngày văn bản."))])
    valid_from = BoundedDateField(_l("Hiệu lực từ ngày"), validators=[DataRequired(_l("Vui lòng nhập ngày bắt đầu hiệu lực."))])
    valid_to = BoundedDateField(_l("Hiệu lực đến hết ngày"), validators=[Optional()])
    topic = StringField(_l("Vụ việc, chủ đề được ủy quyền"), filters=[_strip], validators=[Optional(), Length(max=255)])
    case_reference = StringField(_l("Mã yêu cầu được ủy quyền (nếu có)"), filters=[_strip], validators=[Optional(), Length(max=40)])
    scan = FileField(_l("Bản chụp văn bản (PDF, JPG, PNG)"))
    submit = SubmitField(_l("Lưu chỉ định"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the field rules, then what SP-05 asks of an authorisation (an end date, a case or topic).

        Done here rather than in ``validate_valid_to``: an ``Optional()`` field stops its
        validator chain when empty, which is exactly the case to catch.
        """
        valid = super().validate(extra_validators)
        if not self.document_number.data and not self.number_from_register.data:
            self.document_number.errors = [*self.document_number.errors, _l("Vui lòng nhập số văn bản.")]
            valid = False
        if self.number_from_register.data and self.kind.data == DesignationKind.HEAD.value:
            self.number_from_register.errors = [
                *self.number_from_register.errors,
                _l("Người đứng đầu phát ngôn theo quy định, không cần quyết định giao nhiệm vụ; hãy nhập văn bản bổ nhiệm.")]
            valid = False
        if self.kind.data == DesignationKind.AUTHORISED.value:
            if not self.valid_to.data and not self.valid_to.errors:
                self.valid_to.errors = [*self.valid_to.errors, _l("Ủy quyền phát ngôn phải có ngày hết hiệu lực.")]
                valid = False
            if not self.topic.data and not self.case_reference.data:
                self.topic.errors = [*self.topic.errors,
                                     _l("Ủy quyền chỉ áp dụng cho từng vụ việc: nêu vụ việc, chủ đề hoặc mã yêu cầu.")]
                valid = False
        if self.valid_to.data and self.valid_from.data and self.valid_to.data < self.valid_from.data:
            self.valid_to.errors = [*self.valid_to.errors, _l("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")]
            valid = False
        return valid


class RevokeForm(Form):
    """Revoke a designation, with a reason."""

    reason = TextAreaField(_l("Lý do thu hồi"), filters=[_strip], validators=[
        DataRequired(_l("Vui lòng nêu lý do thu hồi.")), Length(max=1000, message=_l("Tối đa %(max)d ký tự."))])
    submit = SubmitField(_l("Thu hồi chỉ định"))


class ImportForm(Form):
    """Upload a CSV or XLSX file of units or people."""

    kind = RadioField(_l("Dữ liệu"), choices=[SelectChoice("units", _l("Đơn vị")), SelectChoice("users", _l("Cán bộ và vai trò"))],
                      default="units", validators=[DataRequired()])
    file = FileField(_l("Tệp CSV (UTF-8) hoặc Excel .xlsx"), validators=[FileRequired(_l("Vui lòng chọn tệp."))])
    dry_run = BooleanField(_l("Chạy thử: chỉ kiểm tra và đếm, chưa ghi gì"))
    submit = SubmitField(_l("Nhập dữ liệu"))


class MergeForm(Form):
    """Merge units into an existing or a new unit; previewed, then confirmed."""

    sources = SelectMultipleField(_l("Các đơn vị được hợp nhất"), coerce=int, validators=[
        DataRequired(_l("Vui lòng chọn ít nhất một đơn vị."))])
    target_mode = RadioField(_l("Đơn vị sau hợp nhất"), choices=[
        SelectChoice("new", _l("Đơn vị mới")), SelectChoice("existing", _l("Một đơn vị đã có"))], default="new")
    target_id = SelectField(_l("Đơn vị đã có"), coerce=int)
    new_code = StringField(_l("Mã đơn vị mới"), filters=[_strip], validators=[Optional(), Length(max=40)])
    new_name = StringField(_l("Tên đơn vị mới"), filters=[_strip], validators=[Optional(), Length(max=255)])
    new_kind = SelectField(_l("Loại đơn vị mới"), choices=choices_of(CURRENT_KIND_LABELS), default=UnitKind.COMMUNE.value)
    new_parent_id = SelectField(_l("Cấp trên của đơn vị mới"), coerce=int)
    new_prefix = StringField(_l("Tiền tố mã yêu cầu của đơn vị mới"), filters=[_strip, lambda v: v.upper() if isinstance(v, str) else v],
                             validators=[Optional(), Length(max=20)])
    merge_date = BoundedDateField(_l("Ngày hợp nhất (có hiệu lực)"), validators=[DataRequired(_l("Vui lòng nhập ngày hợp nhất."))])
    move_memberships = BooleanField(_l("Chuyển tài khoản cán bộ của các đơn vị cũ sang đơn vị sau hợp nhất"), default=True)
    preview = SubmitField(_l("Xem trước"))
    confirm = SubmitField(_l("Xác nhận hợp nhất"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Check the fields, then that a new unit has a code and a name (empty Optional fields skip their validators)."""
        valid = super().validate(extra_validators)
        if self.target_mode.data == "new":
            for f, message in ((self.new_code, _l("Vui lòng nhập mã đơn vị mới.")),
                               (self.new_name, _l("Vui lòng nhập tên đơn vị mới."))):
                if not f.data:
                    f.errors = [*f.errors, message]
                    valid = False
        return valid

    def validate_new_prefix(self, field: Any) -> None:
        """Allow only upper-case letters, digits and dashes."""
        if field.data and not PREFIX_RE.match(field.data):
            raise ValidationError(_l("Chỉ gồm chữ in hoa A–Z, chữ số và dấu gạch ngang."))

    def validate_target_id(self, field: Any) -> None:
        """An existing target must be chosen, and not among the merged units."""
        if self.target_mode.data == "existing":
            if not field.data:
                raise ValidationError(_l("Vui lòng chọn đơn vị nhận."))
            if field.data in (self.sources.data or []):
                raise ValidationError(_l("Đơn vị nhận không được nằm trong các đơn vị được hợp nhất."))


def unit_choices(units: list[Unit], none_label: str | None = None) -> list[SelectChoice]:
    """Return select choices for units in tree order, indented by depth, with an optional "none" first."""
    choices = [SelectChoice(NO_UNIT, none_label)] if none_label is not None else []  # type: ignore[arg-type]
    return choices + [SelectChoice(u.id, unit_label(u)) for u in units]  # type: ignore[arg-type]


def unit_label(unit: Unit) -> str:
    """Return a unit's menu label: indented by depth, with its code and whether it stopped."""
    inactive = "" if unit.is_active else " " + _("(ngừng hoạt động)")
    return f"{'— ' * unit.depth}{unit.name} ({unit.code}){inactive}"
