"""Forms of the letters feature."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from spokes.core.forms import Form, VnDateField
from spokes.core.once import OnceForm
from spokes.letters.models import LetterKind

KIND_LABELS = {
    LetterKind.REPLY.value: _l("Công văn trả lời, cung cấp thông tin"),
    LetterKind.REFUSAL.value: _l("Công văn từ chối cung cấp thông tin"),
    LetterKind.ACCEPTANCE.value: _l("Thông báo thụ lý"),
    LetterKind.MEASURES.value: _l("Thông báo biện pháp giải quyết"),
    LetterKind.CONCLUSION.value: _l("Thông báo kết luận giải quyết"),
    LetterKind.CORRECTION.value: _l("Đề nghị đăng, phát phản hồi, cải chính, xin lỗi"),
    LetterKind.CONFERENCE.value: _l("Thông báo tổ chức họp báo"),
    LetterKind.DESIGNATION.value: _l("Quyết định giao nhiệm vụ phát ngôn"),
    LetterKind.ANNOUNCEMENT.value: _l("Thông báo người phát ngôn"),
    LetterKind.AUTHORISATION.value: _l("Giấy ủy quyền phát ngôn"),
}


def _int_or_none(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class IssueLetterForm(OnceForm):
    """What every issued letter asks: who signs it, its trích yếu and copies; then preview or issue.

    A number once taken is never reused: the form is single-use (spokes/core/once.py), so the
    same page sent twice issues one letter.
    """

    signer = SelectField(_l("Người ký"), coerce=_int_or_none, validators=[DataRequired(_l("Chọn người ký."))])
    position = StringField(_l("Chức vụ người ký"), validators=[DataRequired(), Length(max=120)])
    summary = StringField(_l("Trích yếu"), validators=[DataRequired(), Length(max=500)])
    copies_to = TextAreaField(_l("Nơi nhận (mỗi dòng một nơi)"), validators=[Optional(), Length(max=2000)])
    preview = SubmitField(_l("Xem dự thảo (không lấy số)"))
    issue = SubmitField(_l("Lấy số và ban hành"))

    def offer_signers(self, signers: list[Any]) -> None:
        """Offer the people who may sign, each as "name — title"."""
        self.signer.choices = [(u.id, f"{u.name} — {u.title or ''}".rstrip(" —")) for u in signers]


class LetterForm(IssueLetterForm):
    """Issue a letter of a request, or preview it first (nothing is numbered then)."""

    kind = SelectField(_l("Loại văn bản"), validators=[DataRequired()])
    recipient = StringField(_l("Kính gửi"), validators=[DataRequired(), Length(max=500)])
    replaces = SelectField(_l("Thay thế văn bản"), coerce=_int_or_none, validators=[Optional()])
    also_issue = BooleanField(_l("Ban hành thêm, không thay thế văn bản cùng loại đang có hiệu lực"))
    send = BooleanField(_l("Gửi công văn cho phóng viên qua thư điện tử (đính kèm)"), default=True)
    # The sixth form only: what is asked, and the unit's own date for the press agency to publish.
    ask_feedback = BooleanField(_l("Đề nghị đăng phản hồi"), default=True)
    ask_correction = BooleanField(_l("Đề nghị cải chính"), default=True)
    ask_apology = BooleanField(_l("Đề nghị xin lỗi"))
    publication_due_on = VnDateField(_l("Mốc theo dõi việc đăng (để trống: mặc định)"), validators=[Optional()])


class PublishedForm(Form):
    """The press agency published what a sixth-form letter asked."""

    published_on = VnDateField(_l("Ngày cơ quan báo chí đăng"), validators=[DataRequired(_l("Vui lòng nhập ngày đăng."))])
    url = StringField(_l("Địa chỉ bài đăng"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Ghi nhận đã đăng"))


class DesignationLetterForm(IssueLetterForm):
    """Issue a designation letter (decision, notice, authorisation), or preview it first."""

    kind = SelectField(_l("Loại văn bản"), validators=[DataRequired()])


class HeadingForm(Form):
    """The symbol and place name printed on a unit's letters."""

    symbol = StringField(_l("Ký hiệu văn bản"), validators=[DataRequired(), Length(max=40)])
    place_name = StringField(_l("Địa danh"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Lưu"))


class SignedCopyForm(Form):
    """Upload the letter's PDF as signed with the unit's own digital-signature token."""

    file = FileField(_l("Bản PDF đã ký số"), validators=[FileRequired(_l("Chọn tệp PDF đã ký số."))])
    submit = SubmitField(_l("Kiểm tra chữ ký và lưu"))


class TemplateForm(Form):
    """Upload the unit's own letter template (DOCX with docxtpl tags), or remove it."""

    file = FileField(_l("Mẫu văn bản (DOCX)"))
    upload = SubmitField(_l("Tải mẫu lên"))
    remove = SubmitField(_l("Bỏ mẫu riêng, dùng mẫu chuẩn"))
