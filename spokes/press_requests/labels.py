"""Human labels for the fixed codes (Vietnamese first, translated to English)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.core.clock import now
from spokes.press_requests.models import Channel, RequestState, RequestType
from spokes.deadlines.services import work_calendar

TYPE_LABELS = {
    RequestType.INFORMATION: _l("Cung cấp thông tin, tài liệu"),
    RequestType.INTERVIEW: _l("Đề nghị phỏng vấn"),
    RequestType.PRESS_ANSWER: _l("Yêu cầu trả lời trên báo chí"),
    RequestType.FORWARDED_FEEDBACK: _l("Ý kiến, kiến nghị, phản ánh, phê bình do báo chí chuyển đến"),
    RequestType.FORWARDED_COMPLAINT: _l("Khiếu nại do báo chí chuyển đến"),
    RequestType.FORWARDED_DENUNCIATION: _l("Tố cáo do báo chí chuyển đến"),
    RequestType.EMERGENCY: _l("Phát ngôn khi có sự kiện đột xuất, bất thường"),
}

TYPE_HELP = {
    RequestType.INFORMATION: _l("Bạn cần số liệu, văn bản hoặc thông tin về một việc của đơn vị."),
    RequestType.INTERVIEW: _l("Bạn muốn phỏng vấn người phát ngôn; hãy gửi trước mục đích và câu hỏi."),
    RequestType.PRESS_ANSWER: _l("Người đứng đầu cơ quan báo chí đề nghị đơn vị trả lời trên báo về một vấn đề."),
    RequestType.FORWARDED_FEEDBACK: _l("Báo chí chuyển ý kiến, phản ánh, phê bình của bạn đọc để đơn vị xử lý."),
    RequestType.FORWARDED_COMPLAINT: _l("Báo chí chuyển đơn khiếu nại để đơn vị giải quyết theo Luật Khiếu nại."),
    RequestType.FORWARDED_DENUNCIATION: _l("Báo chí chuyển đơn tố cáo để đơn vị giải quyết theo Luật Tố cáo."),
    RequestType.EMERGENCY: _l("Đơn vị phải phát ngôn kịp thời khi có sự kiện đột xuất."),
}

CHANNEL_LABELS = {
    Channel.WEB_FORM: _l("Biểu mẫu trên cổng"),
    Channel.EMAIL: _l("Thư điện tử"),
    Channel.PHONE: _l("Điện thoại"),
    Channel.IN_PERSON: _l("Trực tiếp"),
    Channel.LETTER: _l("Văn bản, thư"),
    Channel.PRESS_ARTICLE: _l("Bài báo phản ánh"),
    Channel.PRESS_CONFERENCE: _l("Họp báo"),
}

STATE_LABELS = {
    RequestState.RECEIVED: _l("Mới tiếp nhận"),
    RequestState.ASSIGNED: _l("Đã giao người phát ngôn"),
    RequestState.DRAFTING: _l("Đang soạn trả lời"),
    RequestState.AWAITING_APPROVAL: _l("Chờ duyệt"),
    RequestState.ANSWERED: _l("Đã trả lời"),
    RequestState.REFUSED: _l("Từ chối cung cấp"),
    RequestState.WITHDRAWN: _l("Đã rút yêu cầu"),
}


def type_label(code: str) -> Any:
    """Return the label of a request type code."""
    return TYPE_LABELS.get(RequestType(code), code) if code in RequestType._value2member_map_ else code


def channel_label(code: str) -> Any:
    """Return the label of a channel code."""
    return CHANNEL_LABELS.get(Channel(code), code) if code in Channel._value2member_map_ else code


def state_label(code: str) -> Any:
    """Return the label of a state code."""
    return STATE_LABELS.get(RequestState(code), code) if code in RequestState._value2member_map_ else code


def due_status(request: Any, at: datetime | None = None) -> str | None:
    """Return "overdue", "due_soon" or None for an open request; closed requests get None."""
    from spokes.press_requests.queries import due_soon_cutoff

    if not request.is_open:
        return None
    moment = at or now()
    if request.due_at < moment:
        return "overdue"
    if request.due_at <= due_soon_cutoff(moment):
        return "due_soon"
    return None


def conclusion_status(request: Any, at: datetime | None = None) -> str | None:
    """Return where the conclusion milestone stands: "sent", "overdue", "due_soon", "pending" or None."""
    from spokes.press_requests.queries import due_soon_cutoff

    if request.conclusion_at is None:
        return None
    if request.conclusion_sent_at is not None:
        return "sent"
    if request.conclusion_due_at is None:
        return "untracked"
    moment = at or now()
    if request.conclusion_due_at < moment:
        return "overdue"
    if request.conclusion_due_at <= due_soon_cutoff(moment):
        return "due_soon"
    return "pending"
def _calendar() -> Any:
    """Return the working calendar, built once per HTTP request (one query for a whole list)."""
    from flask import has_request_context, request


    if not has_request_context():
        return work_calendar()
    cal = request.environ.get("spokes.work_calendar")
    if cal is None:
        cal = request.environ["spokes.work_calendar"] = work_calendar()
    return cal


def due_in_words(request: Any, at: datetime | None = None) -> str:
    """Say how long is left (or how late it is) in words: "còn 2 ngày làm việc", "quá hạn 3 ngày".

    Working days are counted from tomorrow to the due day, on the same calendar as the deadlines.
    A closed request has no time left to tell: the empty string.
    """
    from flask_babel import gettext

    from spokes.core.clock import VN_TZ

    if not request.is_open or request.due_at is None:
        return ""
    moment = at or now()
    due_at = request.due_at if request.due_at.tzinfo else request.due_at.replace(tzinfo=UTC)
    today, due_day = moment.astimezone(VN_TZ).date(), due_at.astimezone(VN_TZ).date()
    if due_at < moment:
        late = (today - due_day).days
        if late <= 0:
            return gettext("quá hạn từ %(time)s hôm nay", time=due_at.astimezone(VN_TZ).strftime("%H:%M"))
        return gettext("quá hạn %(num)d ngày", num=late)
    if due_day == today:
        return gettext("hạn hôm nay, %(time)s", time=due_at.astimezone(VN_TZ).strftime("%H:%M"))
    cal = _calendar()
    working = sum(1 for n in range(1, (due_day - today).days + 1)
                  if cal.is_working_day(today + timedelta(days=n)))
    if working == 0:
        return gettext("còn %(num)d ngày", num=(due_day - today).days)
    return gettext("còn %(num)d ngày làm việc", num=working)
