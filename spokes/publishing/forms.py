"""Staff forms: publish an answer or a statement, correct, withdraw, recurring duties.

Every field has a server-side length limit and a Vietnamese message. Times are typed in
Vietnamese time and handed to the services as aware datetimes.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from spokes.core.forms import fill, Form, OUT_OF_RANGE, strip, TextDateMixin, VnDateTimeField
from spokes.core.params import date_in_range
from spokes.publishing.labels import KIND_LABELS
from spokes.publishing.models import PublicationKind
from spokes.publishing.services import MAX_EVERY_MONTHS, STATEMENT_KINDS, PublicationData

CONFERENCE_KINDS = (PublicationKind.PRESS_CONFERENCE_NOTICE.value, PublicationKind.PRESS_CONFERENCE_OUTCOME.value)


class WholeNumberField(IntegerField):
    """An integer field whose parse error is in Vietnamese."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError(_l("Vui lòng nhập một số nguyên.")) from err


class VietnamDateField(TextDateMixin, DateField):
    """A date typed as dd/mm/yyyy in a text box (ISO still read); the parse error is in Vietnamese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%d/%m/%Y", "%Y-%m-%d"])
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError(_l("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy.")) from err
        if not date_in_range(self.data):
            self.data = None
            raise ValueError(OUT_OF_RANGE)


def _kind_choices(kinds: tuple[PublicationKind, ...]) -> list[SelectChoice]:
    return [SelectChoice(k.value, KIND_LABELS[k.value]) for k in kinds]


def unit_choices(units: list[Any]) -> list[SelectChoice]:
    """Return the choices of a unit select."""
    return [SelectChoice(u.id, u.name) for u in units]


class _ContentForm(Form):
    """The fields every news item has."""

    title = StringField(_l("Tiêu đề"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập tiêu đề.")),
        Length(min=5, max=255, message=_l("Tiêu đề dài từ %(min)d đến %(max)d ký tự."))])
    summary = TextAreaField(_l("Tóm tắt"), filters=[strip], validators=[
        Optional(), Length(max=1000, message=_l("Tóm tắt tối đa %(max)d ký tự."))])
    body = TextAreaField(_l("Nội dung"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập nội dung.")),
        Length(max=50_000, message=_l("Nội dung tối đa %(max)d ký tự."))])
    speaker_name = StringField(_l("Người phát ngôn"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập họ tên người phát ngôn.")),
        Length(max=255, message=_l("Tối đa %(max)d ký tự."))])
    speaker_title = StringField(_l("Chức danh người phát ngôn"), filters=[strip], validators=[
        Optional(), Length(max=255, message=_l("Tối đa %(max)d ký tự."))])
    event_at = VnDateTimeField(_l("Thời điểm xảy ra sự việc (giờ Việt Nam)"), validators=[Optional()])
    conference_at = VnDateTimeField(_l("Thời điểm họp báo (giờ Việt Nam)"), validators=[Optional()])

    def data_for(self, kind: str) -> PublicationData:
        """Return what the item should say."""
        return PublicationData(
            title=self.title.data or "", summary=self.summary.data or "", body=self.body.data or "",
            speaker_name=self.speaker_name.data or "", speaker_title=self.speaker_title.data or None,
            event_at=self.event_at.data if kind == PublicationKind.EMERGENCY.value else None,
            conference_at=self.conference_at.data if kind in CONFERENCE_KINDS else None,
        )

    def fill(self, data: PublicationData) -> None:
        """Put a prefilled item into the fields (GET only)."""
        fill(self, data, ("title", "summary", "body", "speaker_name", "speaker_title", "event_at", "conference_at"))

    def check_times(self, kind: str) -> bool:
        """Require the time that the kind of item is about; return False (with the error shown) if missing."""
        if kind == PublicationKind.EMERGENCY.value and self.event_at.data is None and not self.event_at.errors:
            self.event_at.errors = [*self.event_at.errors, _l("Vui lòng nhập thời điểm xảy ra sự việc.")]
            return False
        if kind in CONFERENCE_KINDS and self.conference_at.data is None and not self.conference_at.errors:
            self.conference_at.errors = [*self.conference_at.errors, _l("Vui lòng nhập thời điểm họp báo.")]
            return False
        return True


class _AttachmentMixin:
    attachment = FileField(_l("Tệp đính kèm công khai (PDF, JPG, PNG)"))

    def upload(self) -> FileStorage | None:
        """Return the uploaded file, or None when no file was chosen."""
        data = self.attachment.data  # type: ignore[attr-defined]
        if isinstance(data, FileStorage) and data.filename:
            return data
        return None


class AnswerPublicationForm(_AttachmentMixin, _ContentForm):
    """Publish the answer to a request."""

    submit = SubmitField(_l("Đăng lên trang tin"))


class StatementForm(_AttachmentMixin, _ContentForm):
    """Publish a statement made without a request."""

    unit_id = SelectField(_l("Đơn vị phát ngôn"), coerce=int, validate_choice=True,
                          validators=[InputRequired(_l("Vui lòng chọn đơn vị."))])
    kind = SelectField(_l("Loại tin"), choices=_kind_choices(STATEMENT_KINDS),
                       validators=[InputRequired(_l("Vui lòng chọn loại tin."))])
    submit = SubmitField(_l("Đăng lên trang tin"))

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate the fields, then the time the chosen kind needs."""
        ok = super().validate(extra_validators)
        return self.check_times(self.kind.data) and ok


class CorrectionForm(_ContentForm):
    """Correct a published item (cải chính)."""

    correction_note = TextAreaField(_l("Nội dung cải chính (hiển thị công khai)"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng ghi rõ nội dung cải chính.")),
        Length(max=2000, message=_l("Tối đa %(max)d ký tự."))])
    submit = SubmitField(_l("Lưu cải chính"))


class WithdrawForm(Form):
    """Withdraw a published item, with a public reason."""

    reason = TextAreaField(_l("Lý do gỡ tin (hiển thị công khai)"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nêu lý do gỡ tin.")),
        Length(min=5, max=2000, message=_l("Lý do dài từ %(min)d đến %(max)d ký tự."))])
    submit = SubmitField(_l("Gỡ tin"))


class DutyForm(Form):
    """A recurring duty of a unit (e.g. a press conference every three months)."""

    unit_id = SelectField(_l("Đơn vị"), coerce=int, validate_choice=True,
                          validators=[InputRequired(_l("Vui lòng chọn đơn vị."))])
    label = StringField(_l("Tên nghĩa vụ"), filters=[strip], validators=[
        DataRequired(_l("Vui lòng nhập tên nghĩa vụ.")),
        Length(max=255, message=_l("Tối đa %(max)d ký tự."))])
    publication_kind = SelectField(_l("Hoàn thành khi đăng loại tin"), choices=_kind_choices(tuple(PublicationKind)),
                                   validators=[InputRequired(_l("Vui lòng chọn loại tin."))])
    every_months = WholeNumberField(_l("Chu kỳ (tháng)"), validators=[
        InputRequired(_l("Vui lòng nhập chu kỳ.")),
        NumberRange(min=1, max=MAX_EVERY_MONTHS, message=_l("Chu kỳ từ %(min)s đến %(max)s tháng."))])
    next_due_on = VietnamDateField(_l("Hạn kỳ tới"), validators=[InputRequired(_l("Vui lòng nhập ngày đến hạn."))])
    remind_days_before = WholeNumberField(_l("Nhắc trước (ngày)"), default=14, validators=[
        InputRequired(_l("Vui lòng nhập số ngày nhắc trước.")),
        NumberRange(min=0, max=366, message=_l("Từ %(min)s đến %(max)s ngày."))])
    citation = TextAreaField(_l("Căn cứ"), filters=[strip], validators=[
        Optional(), Length(max=1000, message=_l("Tối đa %(max)d ký tự."))])
    active = BooleanField(_l("Đang áp dụng"), default=True)
    submit = SubmitField(_l("Lưu"))
