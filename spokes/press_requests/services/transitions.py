"""One writer per request and the one transition function.

Every workflow change goes through ``transition()``, which checks the workflow table, the actor's
permissions in the request's unit and the guards, changes the state and writes the audit event.
``lock_request`` and ``check_version`` make two people acting on one request take turns.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from spokes.audit import services as audit
from spokes.audit.models import AuditEvent
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in
from spokes.core.clock import now
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.press_requests import workflow
from spokes.press_requests.actions import ACTION_WORDS
from spokes.press_requests.models import PressRequest
from spokes.press_requests.workflow import Action
from spokes.press_requests.answer_models import Answer


def _public_person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"name": user.name, "title": user.title}


def _snapshot(req: PressRequest) -> dict[str, Any]:
    return {
        "state": req.state,
        "unit_id": req.unit_id,
        "assignee_id": req.assignee_id,
        "due_at": req.due_at,
    }


class RequestChanged(DomainError):
    """Someone else changed the request since the actor's page was shown (HTTP 409).

    ``change`` is the latest audit event of the request: who changed it, how and when.
    """

    def __init__(self, message: str, request_id: int, change: Any | None) -> None:
        super().__init__(message, status=409)
        self.request_id = request_id
        self.change = change


def lock_request(request_id: int) -> PressRequest | None:
    """Take the request's row lock, then its answers', for the rest of the transaction; return it fresh.

    Every workflow action starts here, so two people acting on one request take turns: the
    second one waits, then sees the first one's committed change and is checked against it.
    The order is always the request row first, then its answers by id, so no two actions can
    deadlock on them. ``FOR NO KEY UPDATE`` (what an UPDATE takes anyway) still lets rows
    that merely point at the request, such as new attachments or notices, be inserted.
    On SQLite the write transaction of a POST starts with BEGIN IMMEDIATE (spokes/core/db.py):
    the whole database is locked from the first statement, which gives the same guarantee.
    """
    req = db.session.execute(
        select(PressRequest).where(PressRequest.id == request_id)
        .with_for_update(of=PressRequest, key_share=True)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if req is not None:
        db.session.execute(
            select(Answer.id).where(Answer.request_id == request_id).order_by(Answer.id)
            .with_for_update(key_share=True)
        ).all()
    return req


def last_change(req: PressRequest) -> Any | None:
    """Return the latest audit event of the request (who changed it last, how and when)."""

    return db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()


def check_version(req: PressRequest, seen: int | None) -> None:
    """Refuse an action taken on a page that showed an older version of the request.

    ``seen`` is None when the client sent no version (a script, an old page): the action is
    then judged on the state alone, which the lock has made current.
    """
    if seen is None or seen == req.version:
        return
    raise RequestChanged(
        _("Yêu cầu đã thay đổi sau khi bạn mở trang; thao tác của bạn chưa được thực hiện."),
        req.id, last_change(req),
    )


def _refusal_message(reason: str | None, action: Action, state: str) -> str:
    from spokes.press_requests.labels import state_label

    if reason == "permission":
        return _("Bạn không có quyền “%(action)s” đối với yêu cầu này.", action=action_label(action))
    if reason == "approval_required":
        return _("Đơn vị yêu cầu người đứng đầu duyệt trước khi gửi; hãy trình duyệt dự thảo.")
    return _(
        "Không thể “%(action)s” khi yêu cầu đang ở trạng thái “%(state)s”.",
        action=action_label(action), state=str(state_label(state)),
    )


def action_label(action: Action) -> str:
    """Return the words for a workflow action (spokes/press_requests/actions.py), in the reader's language."""
    return str(ACTION_WORDS[action])


def check_transition(actor: User | None, req: PressRequest, action: Action, *, journalist: bool = False) -> workflow.State:
    """Raise unless the actor may take the action on the request now; return the next state."""
    perms = permissions_in(actor, req.unit) if actor is not None else frozenset()
    decision = workflow.check(
        req.state, action, permissions=perms, approval_required=req.unit.approval_required,
        is_head=Permission.APPROVE in perms, actor_is_journalist=journalist,
    )
    if decision.allowed and decision.next_state is not None:
        return decision.next_state
    message = _refusal_message(decision.reason, action, req.state)
    if decision.reason == "permission":
        raise NotAllowed(message)
    raise DomainError(message, status=409)


def transition(
    actor: User | None,
    req: PressRequest,
    action: Action,
    *,
    journalist: bool = False,
    audit_after: dict[str, Any] | None = None,
    public: bool = False,
    checked: workflow.State | None = None,
    before: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """Apply one workflow action: check the table, rights and guards, change state, audit.

    ``checked`` and ``before`` come from a caller that ran ``check_transition()`` and took the
    snapshot before it had to change the request's unit (a transfer): the actor's rights are
    judged in the unit the request leaves, not the one it reaches. An automatic assignment
    passes the table's next state as ``checked``: the system, not the actor, assigns.
    """
    target = checked or check_transition(actor, req, action, journalist=journalist)
    before = before or _snapshot(req)
    req.state = target.value
    req.version = (req.version or 0) + 1
    moment = now()
    if target is workflow.State.ANSWERED:
        req.answered_at = moment
    elif target is workflow.State.REFUSED:
        req.refused_at = moment
    elif target is workflow.State.WITHDRAWN:
        req.withdrawn_at = moment
    db.session.flush()
    audit.record(
        f"request.{action.value}", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        before=before, after={**_snapshot(req), **(audit_after or {})}, public=public,
        actor_label=actor_label or ("journalist" if journalist else None),
    )
