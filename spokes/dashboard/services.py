"""Build the staff home, "what needs me today", from the person's roles (issue 20).

First the requests waiting for this person's own action, by due time, with overdue and due-soon
counts; then what the role adds: drafts awaiting a head's approval, a clerk's unassigned or
newly arrived intake, an overseer's overdue requests by unit. Every list is one bounded query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from spokes.auth.permissions import Role
from spokes.auth.policies import roles_of
from spokes.core.clock import now
from spokes.extensions import db
from spokes.press_requests.models import PressRequest, RequestState
from spokes.press_requests.queries import due_soon_cutoff, open_only, visible_requests, with_list_options
from spokes.publishing.services import due_duties
from spokes.units.models import Unit
from spokes.units.services import units_without_spokesperson

SECTION_LIMIT = 20


@dataclass
class Section:
    """A titled list on the home page; ``action`` names the request-page panel each item opens."""

    key: str
    title: Any
    empty_text: Any
    requests: list[PressRequest] = field(default_factory=list)
    action: str | None = None
    total: int = 0


@dataclass
class Counts:
    """How much waits for the person: all of it, the late part and the part due within days."""

    waiting: int = 0
    overdue: int = 0
    due_soon: int = 0
    personal: bool = False  # True: what is assigned to the person; False: what is open in their reach


@dataclass
class Home:
    """Everything the staff home shows."""

    sections: list[Section]
    noncompliant_units: list[Any]
    roles: frozenset[Role]
    due_duties: list[Any] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    overdue_by_unit: list[tuple[Unit, int]] = field(default_factory=list)


def _fetch(stmt: Any) -> list[PressRequest]:
    return list(db.session.execute(stmt.limit(SECTION_LIMIT)).unique().scalars())


def _counts(stmt: Any, *, personal: bool = False) -> Counts:
    """Count a SELECT of open requests: all, overdue, and due within the due-soon window (one query)."""
    moment = now()
    sub = stmt.with_only_columns(PressRequest.due_at).order_by(None).subquery()
    row = db.session.execute(select(
        func.count(),
        func.count().filter(sub.c.due_at < moment),
        func.count().filter(sub.c.due_at >= moment, sub.c.due_at <= due_soon_cutoff(moment)),
    ).select_from(sub)).one()
    return Counts(waiting=row[0], overdue=row[1], due_soon=row[2], personal=personal)


def _overdue_by_unit(base: Any) -> list[tuple[Unit, int]]:
    """Return (unit, number of overdue open requests), worst first (one grouped query)."""
    late = base.where(PressRequest.due_at < now()).with_only_columns(
        PressRequest.unit_id, func.count().label("n")).group_by(PressRequest.unit_id).order_by(None).subquery()
    rows = db.session.execute(
        select(Unit, late.c.n).join(late, late.c.unit_id == Unit.id).order_by(late.c.n.desc(), Unit.name)
    ).all()
    return [(unit, n) for unit, n in rows]


def build_home(user: Any) -> Home:
    """Return what needs this person today, most urgent first."""
    roles = roles_of(user)
    sections: list[Section] = []
    open_visible = open_only(visible_requests(user))
    base = with_list_options(open_visible).order_by(PressRequest.due_at)
    counts = Counts()
    overdue_by_unit: list[tuple[Unit, int]] = []

    if roles & {Role.SPOKESPERSON, Role.HEAD}:
        mine = open_visible.where(PressRequest.assignee_id == user.id)
        counts = _counts(mine, personal=True)
        sections.append(Section(
            "mine", _l("Chờ tôi xử lý"), _l("Không có yêu cầu nào đang chờ bạn xử lý."),
            _fetch(base.where(PressRequest.assignee_id == user.id)), action="draft", total=counts.waiting,
        ))
    if Role.HEAD in roles:
        awaiting = _fetch(base.where(PressRequest.state == RequestState.AWAITING_APPROVAL.value))
        sections.append(Section(
            "approval", _l("Dự thảo chờ tôi duyệt"), _l("Không có dự thảo nào chờ duyệt."), awaiting,
            action="approve", total=len(awaiting),
        ))
    if Role.CLERK in roles:
        intake = base.where(or_(PressRequest.assignee_id.is_(None),
                                PressRequest.state == RequestState.RECEIVED.value))
        rows = _fetch(intake)
        sections.append(Section(
            "intake", _l("Tiếp nhận chưa giao hoặc mới chuyển đến"),
            _l("Không có yêu cầu nào chưa giao người xử lý."), rows, total=len(rows),
        ))
    if Role.OVERSEER in roles:
        overdue_by_unit = _overdue_by_unit(open_visible)
        rows = _fetch(base.where(PressRequest.due_at < now()))
        sections.append(Section(
            "overdue", _l("Quá hạn trong phạm vi theo dõi"), _l("Không có yêu cầu quá hạn."), rows,
            total=sum(n for _unit, n in overdue_by_unit),
        ))
        if not roles & {Role.SPOKESPERSON, Role.HEAD}:
            counts = _counts(open_visible)
    if roles & {Role.CLERK, Role.HEAD}:
        rows = _fetch(base)
        sections.append(Section(
            "unit", _l("Yêu cầu đang mở của đơn vị"), _l("Đơn vị chưa có yêu cầu nào đang mở."), rows,
            total=len(rows),
        ))
        if not roles & {Role.SPOKESPERSON, Role.HEAD, Role.OVERSEER}:
            counts = _counts(open_visible)
    noncompliant = units_without_spokesperson(user) if roles & {Role.ADMIN, Role.OVERSEER} else []
    return Home(sections=sections, noncompliant_units=noncompliant, roles=roles, due_duties=due_duties(user),
                counts=counts, overdue_by_unit=overdue_by_unit)
