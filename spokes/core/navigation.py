"""Navigation menus, built from permissions (no queries) and the registered endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission


@dataclass(frozen=True)
class NavItem:
    """A menu entry."""

    endpoint: str
    label: Any
    permission: Permission | None = None


PUBLIC_NAV = (
    NavItem("publishing.home", _l("Tin trả lời báo chí")),
    NavItem("portal.ask", _l("Gửi câu hỏi")),
    NavItem("portal.track", _l("Tra cứu yêu cầu")),
    NavItem("portal.directory", _l("Người phát ngôn các đơn vị")),
    NavItem("deadlines.calculator", _l("Tính thời hạn")),
    NavItem("handbook.public", _l("Hướng dẫn cho phóng viên")),
)

STAFF_NAV = (
    NavItem("dashboard.home", _l("Trang làm việc")),
    NavItem("press_requests.queue", _l("Yêu cầu của báo chí"), Permission.VIEW_REQUESTS),
    NavItem("publishing.staff_list", _l("Tin đăng"), Permission.PUBLISH),
    NavItem("letters.register", _l("Sổ văn bản đi"), Permission.VIEW_REQUESTS),
    NavItem("mailin.index", _l("Thư điện tử đến"), Permission.VIEW_REQUESTS),
    NavItem("reports.index", _l("Báo cáo"), Permission.VIEW_REPORTS),
    NavItem("handbook.staff", _l("Sổ tay phát ngôn")),
    NavItem("admin.designations_home", _l("Người phát ngôn của đơn vị"), Permission.AUTHORISE_SPOKESPERSON),
    NavItem("admin.audit", _l("Nhật ký"), Permission.VIEW_AUDIT),
    NavItem("admin.index", _l("Quản trị"), Permission.MANAGE_UNITS),
)


def public_nav(app: Flask) -> list[NavItem]:
    """Return the public menu entries whose feature is installed."""
    return [item for item in PUBLIC_NAV if item.endpoint in app.view_functions]


def staff_nav(app: Flask, user: Any) -> list[NavItem]:
    """Return the staff menu entries this user may open."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        item
        for item in STAFF_NAV
        if item.endpoint in app.view_functions and (item.permission is None or has_permission(user, item.permission))
    ]
