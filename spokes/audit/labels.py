"""What each audit action means, in words (the viewer shows the label beside the code)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ACTION_LABELS: dict[str, Any] = {
    "auth.login": _l("Đăng nhập"),
    "auth.change_password": _l("Đổi mật khẩu"),
    "calendar.day_added": _l("Thêm ngày nghỉ hoặc ngày làm bù"),
    "calendar.day_removed": _l("Xóa ngày nghỉ hoặc ngày làm bù"),
    "designation.create": _l("Giao nhiệm vụ phát ngôn"),
    "designation.authorise": _l("Ủy quyền phát ngôn"),
    "designation.revoke": _l("Thu hồi nhiệm vụ phát ngôn"),
    "duty.create": _l("Tạo nghĩa vụ cung cấp thông tin định kỳ"),
    "duty.update": _l("Sửa nghĩa vụ cung cấp thông tin định kỳ"),
    "duty.fulfil": _l("Thực hiện nghĩa vụ cung cấp thông tin định kỳ"),
    "journalist.update": _l("Cập nhật thông tin phóng viên"),
    "law.installed": _l("Cài đặt quy định theo phiên bản phần mềm"),
    "law.updated": _l("Cập nhật quy định theo phiên bản phần mềm"),
    "letter.settings_changed": _l("Sửa thể thức văn bản của đơn vị"),
    "letter.template_changed": _l("Đổi mẫu văn bản của đơn vị"),
    "membership.add": _l("Thêm vai trò"),
    "membership.remove": _l("Bỏ vai trò"),
    "message.internal_note": _l("Ghi chú nội bộ"),
    "message.to_journalist": _l("Gửi tin nhắn cho phóng viên"),
    "message.from_journalist": _l("Phóng viên gửi thêm tin nhắn"),
    "publication.publish": _l("Đăng tin"),
    "publication.correct": _l("Cải chính tin"),
    "publication.withdraw": _l("Gỡ tin"),
    "request.received": _l("Tiếp nhận yêu cầu"),
    "request.link_renewed": _l("Gửi đường dẫn theo dõi mới cho phóng viên"),
    "request.letter_issued": _l("Ban hành văn bản (công văn)"),
    "request.letter_signed_copy": _l("Lưu bản văn bản đã ký số"),
    "request.assign": _l("Giao xử lý"),
    "request.draft": _l("Soạn, cập nhật dự thảo"),
    "request.submit": _l("Trình duyệt dự thảo"),
    "request.approve": _l("Duyệt và gửi trả lời"),
    "request.approve_refusal": _l("Duyệt từ chối cung cấp thông tin"),
    "request.return": _l("Trả lại dự thảo"),
    "request.answer": _l("Gửi trả lời (không qua duyệt)"),
    "request.refuse": _l("Từ chối cung cấp thông tin (không qua duyệt)"),
    "request.withdraw": _l("Rút yêu cầu"),
    "request.transfer": _l("Chuyển đơn vị"),
    "request.extend": _l("Gia hạn"),
    "request.reopen": _l("Mở lại yêu cầu"),
    "request.deadline_recomputed": _l("Tính lại thời hạn theo lịch làm việc"),
    "request.published": _l("Đăng câu trả lời lên trang tin"),
    "request.unit_merged": _l("Chuyển theo đơn vị hợp nhất"),
    "rulebook.seed": _l("Nạp bộ quy tắc"),
    "rulebook.rule_edit": _l("Sửa quy tắc"),
    "rulebook.ground_edit": _l("Sửa căn cứ từ chối"),
    "rulebook.validity_changed": _l("Đổi thời gian hiệu lực của bộ quy tắc"),
    "rulebook.version_created": _l("Tạo phiên bản bộ quy tắc mới"),
    "unit.create": _l("Tạo đơn vị"),
    "unit.update": _l("Sửa đơn vị"),
    "unit.move": _l("Chuyển đơn vị sang cấp trên khác"),
    "unit.deactivate": _l("Ngừng hoạt động đơn vị"),
    "unit.reactivate": _l("Cho đơn vị hoạt động lại"),
    "unit.merge": _l("Hợp nhất đơn vị"),
    "user.create": _l("Tạo tài khoản"),
    "user.update": _l("Sửa tài khoản"),
    "user.deactivate": _l("Khóa tài khoản"),
    "user.reactivate": _l("Mở lại tài khoản"),
    "user.password_change": _l("Đổi mật khẩu"),
    "user.password_reset": _l("Đặt lại mật khẩu"),
    "user.reset_link": _l("Gửi liên kết đặt lại mật khẩu"),
    "user.sessions_ended": _l("Đăng xuất mọi thiết bị"),
    "user.temporary_password": _l("Cấp mật khẩu tạm"),
    "user.preferences": _l("Đổi tùy chọn thông báo"),
}


def action_label(code: str) -> Any:
    """Return the words for an audit action code (the code itself when it has none)."""
    return ACTION_LABELS.get(code, code)
