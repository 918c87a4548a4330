"""Forms of the staff request pages: queue filters, intake, and one form per action.

Longer than most modules: it holds one small form per verb of the action registry
(``actions.VERBS`` names them), which read best side by side with the fields they share.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, MultipleFileField
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import Select, html_params

from spokes.core.clock import now
from spokes.core.forms import Form, VnDateField, VnDateTimeField
from spokes.core.once import OnceForm
from spokes.core.pagination import Cursor
from spokes.core.params import MAX_ID, id_or_none
from spokes.press_requests.labels import CHANNEL_LABELS, STATE_LABELS, TYPE_LABELS
from spokes.press_requests.models import Channel, RequestType
from spokes.press_requests.receipt import IN_THE_FUTURE, REASON_NEEDED, event_problem, receipt_problem
from spokes.press_requests.answer_models import AnswerForm, AnswerKind


FORM_LABELS = {  # ND 09/2017/NĐ-CP, Điều 4, in its order and words
    AnswerForm.PRESS_CONFERENCE: _l("Tổ chức họp báo"),
    AnswerForm.PORTAL_POST: _l("Đăng tải thông tin trên Cổng hoặc Trang thông tin điện tử, trang mạng xã hội chính thức"),
    AnswerForm.INTERVIEW: _l("Phát ngôn trực tiếp hoặc trả lời phỏng vấn"),
    AnswerForm.WRITTEN: _l("Gửi thông cáo báo chí, nội dung trả lời bằng văn bản hoặc thư điện tử"),
    AnswerForm.BRIEFING: _l("Trao đổi trực tiếp hoặc tại giao ban báo chí khi được yêu cầu"),
    AnswerForm.CORRECTION_REQUEST: _l("Văn bản đề nghị đăng, phát phản hồi, cải chính, xin lỗi"),
}

REQUIRED = _l("Vui lòng điền mục này.")
BAD_ARTICLE_URL = _l("Địa chỉ không hợp lệ; hãy bắt đầu bằng http:// hoặc https://.")
TOO_LONG = _l("Tối đa %(max)d ký tự.")


def _length(max_length: int) -> Length:
    return Length(max=max_length, message=TOO_LONG)


def _reason(label: Any, max_length: int = 2000) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(REQUIRED), _length(max_length)])


CHOICE_MESSAGE = _l("Lựa chọn không hợp lệ.")


def choice(value: Any, label: Any) -> SelectChoice:
    """Return one option of a select or radio field."""
    return SelectChoice(value=value, label=label)


class LeanSelect(Select):
    """WTForms' select widget with a fast path for plain options.

    Filters list every unit and person in scope (hundreds of options for a district
    overseer); the stock widget builds each option through ``html_params``, which made
    the options cost more than the whole request list.
    """

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        """Render one option; anything unusual goes to the stock widget."""
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        label = choice.label if choice.label is not None else choice.value
        return Markup(f'<option value="{escape(choice.value)}"{selected}>{escape(label)}</option>')


class VnSelectField(SelectField):
    """A select whose invalid values get a Vietnamese message instead of a crash or English."""

    widget = LeanSelect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the field; it keeps the type name the shared form macro styles as a select."""
        kwargs.setdefault("invalid_value_message", CHOICE_MESSAGE)
        kwargs.setdefault("invalid_choice_message", CHOICE_MESSAGE)
        super().__init__(*args, **kwargs)
        self.type = "SelectField"


class CachedOptionsSelect(LeanSelect):
    """A select whose long list of options is rendered once per ``field.options_key`` and reused.

    The queue's unit and people filters list the same hundreds of names for everyone with the
    same scope; they are rendered once (without a selection) and the chosen option is marked in
    the cached text. The first option ("all") is rendered each time, in the reader's language.
    A field without an ``options_key`` renders as ``LeanSelect``.
    """

    _rendered: OrderedDict[Any, str] = OrderedDict()
    SIZE = 256

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        """Render the select with the cached options."""
        key = getattr(field, "options_key", None)
        choices = list(field.choices or [])
        if key is None or not choices or self.multiple:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in dir(flags):
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = getattr(flags, name)
        body = self._rendered.get(key)
        if body is None:
            body = "".join(f'<option value="{escape(c.value)}">{escape(c.label)}</option>' for c in choices[1:])
            self._rendered[key] = body
            while len(self._rendered) > self.SIZE:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        if field.data not in (None, ""):
            plain = f'<option value="{escape(field.data)}">'
            body = body.replace(plain, plain[:-1] + " selected>", 1)
        first = choices[0]
        head = self.render_option(Choice(first.value, first.label, field.data in (None, ""), {}))
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{head}{body}</select>")


class VnIntegerField(IntegerField):
    """A whole number with a Vietnamese message when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the number."""
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except (ValueError, TypeError):
            self.data = None
            raise ValueError(_l("Vui lòng nhập một số nguyên.")) from None


def _choices(labels: dict[Any, Any], blank: Any | None = None) -> list[SelectChoice]:
    items = [choice(code.value, label) for code, label in labels.items()]
    return [choice("", blank), *items] if blank is not None else items


# --------------------------------------------------------------------------- the queue


QUEUE_STATES = [choice("open", _l("Đang mở")), choice("closed", _l("Đã kết thúc")), choice("all", _l("Tất cả")),
                *_choices(STATE_LABELS)]
SORTS = [choice("due", _l("Hạn trả lời (gần nhất trước)")), choice("received", _l("Ngày tiếp nhận (mới nhất trước)"))]
UNIT_SCOPES = [choice("unit", _l("Chỉ đơn vị đã chọn")), choice("subtree", _l("Cả các đơn vị trực thuộc"))]


def _optional_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = int(value)
    if not 1 <= number <= MAX_ID:  # an id past the column's range is no row: refuse it here, not in SQL
        raise ValueError("out of range")
    return number


class QueueFilterForm(Form):
    """The GET filters of the request queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Tìm kiếm"), validators=[Optional(), _length(200)])
    state = VnSelectField(_l("Trạng thái"), choices=QUEUE_STATES, default="open", validate_choice=True)
    type = VnSelectField(_l("Loại yêu cầu"), choices=_choices(TYPE_LABELS, _l("Tất cả")), default="")
    channel = VnSelectField(_l("Kênh tiếp nhận"), choices=_choices(CHANNEL_LABELS, _l("Tất cả")), default="")
    unit = VnSelectField(_l("Đơn vị"), coerce=_optional_int, choices=[], default=None, widget=CachedOptionsSelect())
    scope = VnSelectField(_l("Phạm vi đơn vị"), choices=UNIT_SCOPES, default="unit")
    assignee = VnSelectField(_l("Người xử lý"), coerce=_optional_int, choices=[], default=None,
                             widget=CachedOptionsSelect())
    overdue = BooleanField(_l("Chỉ yêu cầu quá hạn"))
    due_soon = BooleanField(_l("Chỉ yêu cầu sắp đến hạn"))
    received_from = VnDateField(_l("Tiếp nhận từ ngày"), validators=[Optional()])
    received_to = VnDateField(_l("Đến ngày"), validators=[Optional()])
    sort = VnSelectField(_l("Sắp xếp"), choices=SORTS, default="due")
    page = VnIntegerField(_l("Trang"), validators=[Optional(), NumberRange(min=1, max=100000)], default=1)
    # The row the page starts after (``core.pagination.Cursor``); it takes the place of ``page``.
    cursor = StringField(_l("Vị trí"), validators=[Optional(), _length(40)])

    def validate_cursor(self, field: StringField) -> None:
        """Refuse a cursor the queue did not make."""
        if field.data:
            try:
                Cursor.decode(field.data)
            except ValueError:
                raise ValidationError(_l("Vị trí trang không hợp lệ; hãy mở lại danh sách từ đầu.")) from None

    @property
    def position(self) -> Cursor | None:
        """Return the validated cursor, or None for a numbered page."""
        return Cursor.decode(self.cursor.data) if self.cursor.data else None

    def validate_received_to(self, field: DateField) -> None:
        """Refuse a range that ends before it starts."""
        if field.data and self.received_from.data and field.data < self.received_from.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))


# --------------------------------------------------------------------------- intake


class IntakeForm(OnceForm):
    """Log a request that arrived by phone, letter, e-mail, in person, in an article…

    Single-use (spokes/core/once.py): the same page sent twice logs one request, one receipt.
    """

    unit = VnSelectField(_l("Đơn vị tiếp nhận"), coerce=_optional_int, validators=[InputRequired(REQUIRED)])
    journalist_id = HiddenField()
    # No Optional(): it would stop the chain before validate_journalist_name can ask for a name.
    journalist_name = StringField(_l("Họ và tên phóng viên"), validators=[_length(255)])
    agency = StringField(_l("Cơ quan báo chí"), validators=[Optional(), _length(255)])
    email = EmailField(_l("Thư điện tử"), validators=[Optional(), Email(_l("Địa chỉ thư điện tử không hợp lệ.")), _length(255)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), _length(40)])
    press_card_number = StringField(_l("Số thẻ nhà báo"), validators=[Optional(), _length(40)])
    press_card_expiry = VnDateField(_l("Thẻ nhà báo có giá trị đến"), validators=[Optional()])
    consent_publish_name = BooleanField(_l("Phóng viên đồng ý công bố họ tên khi đăng câu trả lời"))
    letter = FileField(_l("Giấy giới thiệu (nếu không có thẻ nhà báo)"))
    type = VnSelectField(_l("Loại yêu cầu"), choices=_choices(TYPE_LABELS), validators=[InputRequired(REQUIRED)])
    channel = VnSelectField(_l("Kênh tiếp nhận"), choices=_choices(CHANNEL_LABELS), default=Channel.PHONE.value,
                          validators=[InputRequired(REQUIRED)])
    subject = StringField(_l("Tiêu đề"), validators=[DataRequired(REQUIRED), _length(255)])
    questions = TextAreaField(_l("Nội dung, câu hỏi"), validators=[DataRequired(REQUIRED), _length(20000)])
    article_url = URLField(_l("Địa chỉ bài báo liên quan"), validators=[Optional(), URL(message=BAD_ARTICLE_URL), _length(1000)])
    interview_wanted_at = VnDateTimeField(_l("Thời gian muốn phỏng vấn"))
    interview_place = StringField(_l("Địa điểm phỏng vấn"), validators=[Optional(), _length(255)])
    event_at = VnDateTimeField(_l("Thời điểm xảy ra sự kiện"))
    received_at = VnDateTimeField(_l("Thời điểm tiếp nhận"))
    received_at_reason = TextAreaField(_l("Lý do ghi thời điểm tiếp nhận sớm hơn hiện tại"),
                                       validators=[_length(2000)])
    attachments = MultipleFileField(_l("Tệp đính kèm"))
    submit = SubmitField(_l("Tiếp nhận yêu cầu"))

    def validate_journalist_name(self, field: StringField) -> None:
        """Ask for a name unless an earlier journalist was picked."""
        if not (self.journalist_id.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_l("Vui lòng chọn phóng viên đã có hoặc nhập họ tên phóng viên."))

    def validate_journalist_id(self, field: HiddenField) -> None:
        """Accept only a number (the view checks the journalist is one the user may see)."""
        value = (field.data or "").strip()
        if value and id_or_none(value) is None:
            raise ValidationError(_l("Phóng viên đã chọn không hợp lệ."))

    def validate_article_url(self, field: URLField) -> None:
        """Accept only web addresses: a javascript: or data: link must never reach a page.

        Said once: an address the URL check above already refused keeps that one message.
        """
        value = (field.data or "").strip()
        if value and not field.errors and urlsplit(value).scheme.lower() not in ("http", "https"):
            raise ValidationError(BAD_ARTICLE_URL)

    def validate_type(self, field: SelectField) -> None:
        """Keep to the fixed request types."""
        if field.data not in RequestType._value2member_map_:
            raise ValidationError(_l("Loại yêu cầu không hợp lệ."))

    def validate_received_at(self, field: VnDateTimeField) -> None:
        """Refuse a receipt in the future (spokes/press_requests/receipt.py)."""
        if receipt_problem(field.data, "a reason", now()) is IN_THE_FUTURE:  # the reason is the next check
            raise ValidationError(IN_THE_FUTURE)

    def validate_received_at_reason(self, field: TextAreaField) -> None:
        """Ask why when the receipt is noted well before now (spokes/press_requests/receipt.py)."""
        if receipt_problem(self.received_at.data, field.data, now()) is REASON_NEEDED:
            raise ValidationError(REASON_NEEDED)

    def validate_event_at(self, field: VnDateTimeField) -> None:
        """Refuse an emergency's event after the receipt (spokes/press_requests/receipt.py): the deadline runs from it."""
        if self.type.data == RequestType.EMERGENCY.value and field.data is not None:
            problem = event_problem(field.data, self.received_at.data or now())
            if problem is not None:
                raise ValidationError(problem)


class JournalistSearchForm(Form):
    """Find a journalist who wrote to one of the user's units before (GET, no CSRF)."""

    class Meta:
        csrf = False

    jq = SearchField(_l("Tìm phóng viên đã liên hệ (họ tên hoặc thư điện tử)"), validators=[Optional(), _length(200)])


# --------------------------------------------------------------------------- actions on a request


class RequestActionForm(Form):
    """An action on a request page: it carries the version of the request the page showed."""

    version = HiddenField()

    def seen_version(self) -> int | None:
        """Return the version the page showed, or None when the client sent none (or nonsense)."""
        raw = (self.version.data or "").strip() if isinstance(self.version.data, str) else self.version.data
        if isinstance(raw, int):
            return raw
        return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


class ReassignForm(RequestActionForm):
    """Give the request to another spokesperson, with a reason."""

    assignee = VnSelectField(_l("Giao cho"), coerce=_optional_int, validators=[InputRequired(REQUIRED)])
    reason = _reason(_l("Lý do giao lại"))
    submit = SubmitField(_l("Giao lại"))


class AuthoriseForm(RequestActionForm):
    """Authorise a deputy to speak on this one case (SP-05, SP-06)."""

    user = VnSelectField(_l("Người được ủy quyền"), coerce=_optional_int, validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Chức danh"), validators=[DataRequired(REQUIRED), _length(255)])
    document_number = StringField(_l("Số, ký hiệu văn bản ủy quyền"), validators=[DataRequired(REQUIRED), _length(80)])
    document_date = VnDateField(_l("Ngày văn bản"), validators=[InputRequired(REQUIRED)])
    valid_to = VnDateField(_l("Ủy quyền đến hết ngày"), validators=[InputRequired(REQUIRED)])
    submit = SubmitField(_l("Ủy quyền phát ngôn"))

    def validate_valid_to(self, field: DateField) -> None:
        """An authorisation cannot end before its document is signed."""
        if field.data and self.document_date.data and field.data < self.document_date.data:
            raise ValidationError(_l("Ngày hết hạn phải sau ngày văn bản."))


class DraftForm(RequestActionForm):
    """Save a draft answer or a proposed refusal.

    The text fields carry no Optional(): it would stop the chain before the checks below,
    which depend on the kind.
    """

    kind = RadioField(_l("Hình thức xử lý"), choices=[
        choice(AnswerKind.ANSWER.value, _l("Trả lời, cung cấp thông tin")),
        choice(AnswerKind.REFUSAL.value, _l("Đề xuất từ chối cung cấp thông tin")),
    ], default=AnswerKind.ANSWER.value, invalid_choice_message=CHOICE_MESSAGE)
    form = VnSelectField(_l("Hình thức cung cấp thông tin"), choices=_choices(FORM_LABELS), default=AnswerForm.WRITTEN.value)
    body = TextAreaField(_l("Nội dung trả lời"), validators=[_length(50000)])
    refusal_ground = VnSelectField(_l("Căn cứ từ chối"), coerce=_optional_int, choices=[], default=None)
    refusal_reason = TextAreaField(_l("Lý do từ chối cụ thể"), validators=[_length(5000)])
    interview_at = VnDateTimeField(_l("Ngày giờ phỏng vấn"))
    interview_place = StringField(_l("Địa điểm phỏng vấn"), validators=[Optional(), _length(255)])
    questions_received = BooleanField(_l("Đã nhận trước câu hỏi phỏng vấn"))
    interviewee_consent = BooleanField(_l("Người trả lời phỏng vấn đồng ý trả lời khi chưa nhận trước câu hỏi"))
    review_requested = BooleanField(_l("Người trả lời phỏng vấn đề nghị xem lại nội dung trước khi đăng"))
    attachments = MultipleFileField(_l("Tệp đính kèm dự thảo"))
    submit = SubmitField(_l("Lưu dự thảo"))

    def validate_body(self, field: TextAreaField) -> None:
        """An answer needs a text."""
        if self.kind.data == AnswerKind.ANSWER.value and not (field.data or "").strip():
            raise ValidationError(_l("Nội dung trả lời không được để trống."))

    def validate_refusal_ground(self, field: SelectField) -> None:
        """A refusal needs a legal ground."""
        if self.kind.data == AnswerKind.REFUSAL.value and not field.data:
            raise ValidationError(_l("Vui lòng chọn căn cứ từ chối."))

    def validate_refusal_reason(self, field: TextAreaField) -> None:
        """A refusal needs a concrete reason."""
        if self.kind.data == AnswerKind.REFUSAL.value and not (field.data or "").strip():
            raise ValidationError(_l("Vui lòng nêu lý do từ chối cụ thể."))


class SubmitDraftForm(RequestActionForm):
    """Send the draft to the head for approval."""

    submit = SubmitField(_l("Trình duyệt"))


class ApproveForm(RequestActionForm):
    """Approve the submitted draft; it goes to the journalist."""

    submit = SubmitField(_l("Duyệt và gửi"))


class ReturnForm(RequestActionForm):
    """Return the submitted draft with a comment."""

    comment = _reason(_l("Ý kiến khi trả lại"), 5000)
    submit = SubmitField(_l("Trả lại dự thảo"))


class SendForm(RequestActionForm):
    """Send the draft without approval (approval off, or the head sends)."""

    submit = SubmitField(_l("Gửi trả lời ngay"))


class TransferForm(RequestActionForm):
    """Transfer the request to the competent unit."""

    filter = SearchField(_l("Lọc danh sách đơn vị"), validators=[Optional(), _length(100)])
    to_unit = VnSelectField(_l("Chuyển đến đơn vị"), coerce=_optional_int, validators=[InputRequired(REQUIRED)])
    reason = _reason(_l("Lý do chuyển"))
    submit = SubmitField(_l("Chuyển yêu cầu"))


class ExtendForm(RequestActionForm):
    """Extend the deadline where the rule allows it."""

    amount = VnIntegerField(_l("Gia hạn thêm"), validators=[
        InputRequired(REQUIRED), NumberRange(min=1, max=365, message=_l("Nhập một số từ %(min)s đến %(max)s."))])
    reason = _reason(_l("Lý do gia hạn"))
    submit = SubmitField(_l("Gia hạn"))


class ReopenForm(RequestActionForm):
    """Reopen an answered or refused request."""

    reason = _reason(_l("Lý do mở lại"))
    submit = SubmitField(_l("Mở lại yêu cầu"))


class WithdrawForm(RequestActionForm):
    """Record that the journalist withdrew the request."""

    reason = _reason(_l("Phóng viên rút yêu cầu vì"))
    submit = SubmitField(_l("Ghi nhận rút yêu cầu"))


class NoteForm(RequestActionForm):
    """Add an internal note (never shown to the journalist)."""

    body = TextAreaField(_l("Ghi chú nội bộ"), validators=[DataRequired(REQUIRED), _length(10000)])
    submit = SubmitField(_l("Thêm ghi chú"))


class MessageForm(RequestActionForm):
    """Send a message to the journalist."""

    body = TextAreaField(_l("Tin nhắn gửi phóng viên"), validators=[DataRequired(REQUIRED), _length(10000)])
    submit = SubmitField(_l("Gửi tin nhắn"))


class ReclassifyForm(RequestActionForm):
    """Change the request's type (and so its legal clock), with a reason."""

    type = VnSelectField(_l("Loại yêu cầu mới"), choices=_choices(TYPE_LABELS), validators=[InputRequired(REQUIRED)])
    reason = _reason(_l("Lý do đổi loại yêu cầu"))
    submit = SubmitField(_l("Đổi loại yêu cầu"))


class ConclusionForm(RequestActionForm):
    """Record the conclusion of a forwarded complaint or denunciation (ND 237 Điều 18(2))."""

    concluded_on = VnDateField(_l("Ngày ban hành kết luận"), validators=[InputRequired(REQUIRED)])
    document = StringField(_l("Số, ký hiệu văn bản kết luận"), validators=[DataRequired(REQUIRED), _length(120)])
    summary = TextAreaField(_l("Tóm tắt kết luận"), validators=[DataRequired(REQUIRED), _length(8000)])
    submit = SubmitField(_l("Ghi nhận kết luận"))


class ConclusionSentForm(RequestActionForm):
    """Confirm that the conclusion went to the press agency."""

    submit = SubmitField(_l("Xác nhận đã gửi kết luận cho cơ quan báo chí"))
