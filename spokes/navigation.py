"""Navigation menus, built from permissions (no queries) and the registered endpoints.

The public bar is for journalists and readers. Signed-in staff get a work bar instead: a few
short, iconed entries on one line at 1366 px, with reports and administration grouped under
drop-down menus (issue 20).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from spokes.auth.permissions import Permission
from spokes.auth.policies import has_permission


@dataclass(frozen=True)
class NavItem:
    """A menu entry; ``icon`` is a Bootstrap Icons name (served from the static folder)."""

    endpoint: str
    label: Any
    permission: Permission | None = None
    icon: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """A drop-down menu of entries, shown only when the user may open one of them."""

    key: str
    label: Any
    icon: str
    items: tuple[NavItem, ...]


PUBLIC_NAV = (
    NavItem("publishing.home", _l("Tin trả lời báo chí")),
    NavItem("portal.ask", _l("Gửi câu hỏi")),
    NavItem("portal.track", _l("Tra cứu yêu cầu")),
    NavItem("portal.directory", _l("Danh bạ phát ngôn")),
    NavItem("deadlines.calculator", _l("Tính thời hạn")),
    NavItem("handbook.public", _l("Hướng dẫn")),
)

STAFF_NAV: tuple[NavItem | NavGroup, ...] = (
    NavItem("dashboard.home", _l("Trang làm việc"), icon="house-door"),
    # "Yêu cầu" is also a column's heading ("Request"); the menu leads to the list ("Requests").
    NavItem("press_requests.queue", lazy_pgettext("menu", "Yêu cầu"), Permission.VIEW_REQUESTS, icon="inbox"),
    NavItem("publishing.staff_list", _l("Tin đăng"), Permission.PUBLISH, icon="newspaper"),
    NavGroup("reports", _l("Báo cáo"), "bar-chart", (
        NavItem("reports.index", _l("Báo cáo tình hình"), Permission.VIEW_REPORTS, icon="graph-up"),
        NavItem("letters.register", _l("Sổ văn bản đi"), Permission.VIEW_REQUESTS, icon="journal-text"),
        NavItem("conferences.index", _l("Họp báo"), Permission.VIEW_REQUESTS, icon="megaphone"),
        NavItem("mailin.index", _l("Thư điện tử đến"), Permission.VIEW_REQUESTS, icon="envelope"),
        NavItem("audit.events", _l("Nhật ký"), Permission.VIEW_AUDIT, icon="clock-history"),
    )),
    NavGroup("admin", _l("Quản trị"), "gear", (
        NavItem("units.designations_home", _l("Người phát ngôn của đơn vị"), Permission.AUTHORISE_SPOKESPERSON,
                icon="person-badge"),
        NavItem("admin.index", _l("Quản trị hệ thống"), Permission.MANAGE_UNITS, icon="sliders"),
    )),
    NavItem("handbook.staff", _l("Sổ tay"), icon="book"),
)


def public_nav(app: Flask) -> list[NavItem]:
    """Return the public menu entries whose feature is installed."""
    return [item for item in PUBLIC_NAV if item.endpoint in app.view_functions]


def _allowed(app: Flask, user: Any, item: NavItem) -> bool:
    return item.endpoint in app.view_functions and (item.permission is None or has_permission(user, item.permission))


def staff_nav(app: Flask, user: Any) -> list[NavItem | NavGroup]:
    """Return the staff menu entries and groups this user may open (groups keep only their allowed entries)."""
    if not getattr(user, "is_authenticated", False):
        return []
    entries: list[NavItem | NavGroup] = []
    for entry in STAFF_NAV:
        if isinstance(entry, NavGroup):
            items = tuple(item for item in entry.items if _allowed(app, user, item))
            if items:
                entries.append(NavGroup(entry.key, entry.label, entry.icon, items))
        elif _allowed(app, user, entry):
            entries.append(entry)
    return entries
