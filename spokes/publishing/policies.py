"""Who may publish, correct and withdraw news items, and manage recurring duties.

Views ask here before loading a form, templates ask the very same functions (registered as
Jinja globals by the blueprint), and the services ask again inside the transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import permissions_in
from spokes.extensions import db
from spokes.press_requests.models import RequestState
from spokes.press_requests.services import final_answer
from spokes.press_requests.answer_models import AnswerKind
from spokes.units.models import Unit
from spokes.units.policies import scope_condition

if TYPE_CHECKING:
    from spokes.press_requests.models import PressRequest
    from spokes.publishing.models import Publication
    from spokes.press_requests.answer_models import Answer


def can_publish_in(user: Any, unit: Unit) -> bool:
    """Return whether the user may publish in the unit's name (spokesperson or head there)."""
    return Permission.PUBLISH in permissions_in(user, unit)


def publish_units(user: Any) -> list[Unit]:
    """Return the active units in whose name the user may publish, by name."""
    stmt = select(Unit).where(Unit.is_active.is_(True), scope_condition(user, Permission.PUBLISH)).order_by(Unit.name)
    return list(db.session.execute(stmt).scalars())


def request_problem(req: PressRequest, answer: Answer | None) -> str | None:
    """Return why the request's answer cannot be published now, or None when it can.

    Only a request that was answered, with its answer sent (so approved where the unit
    requires approval), has something to publish; a refusal is never published as news.
    """
    if req.state != RequestState.ANSWERED.value or answer is None:
        return _("Chỉ đăng được câu trả lời của yêu cầu đã trả lời (đã duyệt và gửi cho phóng viên).")
    if answer.kind != AnswerKind.ANSWER.value:
        return _("Văn bản từ chối cung cấp thông tin không được đăng lên trang tin.")
    return None


_UNKNOWN = object()


def can_publish_request(user: Any, req: PressRequest, final: Any = _UNKNOWN) -> bool:
    """Return whether the user may publish this request's answer now.

    ``final`` is the request's sent answer (or None) when the caller has it already.
    """
    if not getattr(user, "is_authenticated", False) or not can_publish_in(user, req.unit):
        return False
    if final is _UNKNOWN:

        final = final_answer(req)
    return request_problem(req, final) is None


def can_correct(user: Any, pub: Publication) -> bool:
    """Return whether the user may correct or withdraw the item (it must still be on the feed)."""
    return pub.withdrawn_at is None and can_publish_in(user, pub.unit)


def can_manage_duties(user: Any, unit: Unit) -> bool:
    """Return whether the user heads the unit: only the head sets its recurring duties."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "active", False):
        return False
    return any(m.unit_id == unit.id and m.role == Role.HEAD.value for m in user.memberships)


def duty_units(user: Any) -> list[Unit]:
    """Return the active units whose recurring duties the user may manage."""
    ids = [m.unit_id for m in getattr(user, "memberships", []) if m.role == Role.HEAD.value]
    if not ids or not getattr(user, "active", False):
        return []
    return list(db.session.execute(
        select(Unit).where(Unit.id.in_(ids), Unit.is_active.is_(True)).order_by(Unit.name)
    ).scalars())
