"""Human labels for publication kinds (Vietnamese first, translated to English)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.publishing.models import PublicationKind

KIND_LABELS: dict[str, Any] = {
    PublicationKind.ANSWER.value: _l("Trả lời báo chí"),
    PublicationKind.EMERGENCY.value: _l("Phát ngôn về sự kiện đột xuất, bất thường"),
    PublicationKind.PERIODIC.value: _l("Cung cấp thông tin định kỳ"),
    PublicationKind.PRESS_CONFERENCE_NOTICE.value: _l("Thông báo họp báo"),
    PublicationKind.PRESS_CONFERENCE_OUTCOME.value: _l("Kết quả họp báo"),
}

KIND_HELP: dict[str, Any] = {
    PublicationKind.EMERGENCY.value: _l(
        "Người phát ngôn phải phát ngôn, cung cấp thông tin kịp thời khi xảy ra sự kiện đột xuất, bất thường "
        "(Nghị định 09/2017/NĐ-CP, Điều 6); Spokes theo dõi hạn 24 giờ kể từ thời điểm xảy ra sự việc."),
    PublicationKind.PERIODIC.value: _l(
        "Thông tin định kỳ về hoạt động của đơn vị (Nghị định 09/2017/NĐ-CP, Điều 5)."),
    PublicationKind.PRESS_CONFERENCE_NOTICE.value: _l(
        "Từ 01/07/2026, đơn vị tổ chức họp báo phải thông báo bằng văn bản cho Ủy ban nhân dân cấp tỉnh "
        "ít nhất 24 giờ trước khi họp báo (Nghị định 237/2026/NĐ-CP, Điều 22)."),
    PublicationKind.PRESS_CONFERENCE_OUTCOME.value: _l(
        "Nội dung, kết quả buổi họp báo, đăng sau khi họp báo đã diễn ra."),
}


def kind_label(code: str) -> Any:
    """Return the label of a publication kind (the code itself when unknown)."""
    return KIND_LABELS.get(code, code)
