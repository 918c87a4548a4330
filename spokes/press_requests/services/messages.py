"""Messages on a request: internal notes, messages to the journalist and the journalist's follow-ups."""

from __future__ import annotations

from flask_babel import gettext as _

from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.auth.policies import permissions_in
from spokes.core import events
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.press_requests.models import Message, MessageKind, PressRequest


def add_message(actor: User | None, req: PressRequest, kind: MessageKind, body: str) -> Message:
    """Add an internal note, a message to the journalist, or the journalist's follow-up."""
    body = body.strip()
    if not body:
        raise DomainError(_("Nội dung tin nhắn không được để trống."), status=400)
    if kind is MessageKind.FROM_JOURNALIST:
        if actor is not None:
            raise NotAllowed(_("Chỉ phóng viên gửi được tin nhắn này."))
        if not req.is_open:
            raise DomainError(_("Yêu cầu đã kết thúc; không thể gửi thêm tin nhắn."), status=409)
    elif actor is None or Permission.VIEW_REQUESTS not in permissions_in(actor, req.unit) or \
            Permission.LOG_REQUEST not in permissions_in(actor, req.unit):
        raise NotAllowed(_("Bạn không có quyền ghi chú vào yêu cầu này."))
    message = Message(request_id=req.id, kind=kind.value, author_id=actor.id if actor else None, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record(
        f"message.{kind.value}", actor=actor, obj_type="request", obj_id=req.id, unit_id=req.unit_id,
        public=kind is not MessageKind.INTERNAL_NOTE, actor_label=None if actor else "journalist",
        after={"message_id": message.id, "kind": kind.value},
    )
    events.message_added.send(req, message=message, actor=actor)
    return message
