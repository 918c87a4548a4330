"""Build the sections of a staff member's home page from their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.auth.permissions import Role
from spokes.auth.policies import roles_of
from spokes.core.clock import now
from spokes.extensions import db
from spokes.press_requests.models import PressRequest, RequestState
from spokes.press_requests.queries import open_only, visible_requests, with_list_options
from spokes.publishing.services import due_duties
from spokes.units.services import units_without_spokesperson

SECTION_LIMIT = 20


@dataclass
class Section:
    """A titled list on the home page."""

    title: Any
    empty_text: Any
    requests: list[PressRequest] = field(default_factory=list)


@dataclass
class Home:
    """Everything the staff home shows."""

    sections: list[Section]
    noncompliant_units: list[Any]
    roles: frozenset[Role]
    due_duties: list[Any] = field(default_factory=list)


def build_home(user: Any) -> Home:
    """Return the sections the user's roles call for, most urgent first."""
    roles = roles_of(user)
    sections: list[Section] = []
    base = with_list_options(open_only(visible_requests(user))).order_by(PressRequest.due_at)

    def fetch(stmt) -> list[PressRequest]:
        return list(db.session.execute(stmt.limit(SECTION_LIMIT)).unique().scalars())

    if roles & {Role.SPOKESPERSON, Role.HEAD}:
        sections.append(Section(
            _l("Việc của tôi"), _l("Không có yêu cầu nào đang chờ bạn xử lý."),
            fetch(base.where(PressRequest.assignee_id == user.id)),
        ))
    if Role.HEAD in roles:
        sections.append(Section(
            _l("Chờ tôi duyệt"), _l("Không có dự thảo nào chờ duyệt."),
            fetch(base.where(PressRequest.state == RequestState.AWAITING_APPROVAL.value)),
        ))
    if Role.OVERSEER in roles:
        sections.append(Section(
            _l("Quá hạn trong phạm vi theo dõi"), _l("Không có yêu cầu quá hạn."),
            fetch(base.where(PressRequest.due_at < now())),
        ))
    if roles & {Role.CLERK, Role.OVERSEER, Role.HEAD}:
        sections.append(Section(
            _l("Yêu cầu đang mở của đơn vị"), _l("Đơn vị chưa có yêu cầu nào đang mở."), fetch(base),
        ))
    noncompliant = units_without_spokesperson(user) if roles & {Role.ADMIN, Role.OVERSEER} else []
    return Home(sections=sections, noncompliant_units=noncompliant, roles=roles, due_duties=due_duties(user))
