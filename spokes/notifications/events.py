"""Who is told what when a request changes. Called by services, inside their transaction.

Journalists get one e-mail per public event through the outbox; staff get an in-app notice
(e-mailed at once or in the daily digest). Nobody is told about their own action.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import Role
from spokes.extensions import db
from spokes.notifications.models import Notification, OutboxMail


def _staff_notice(user: User | None, req: Any, kind: str, message: str, *, actor: Any, dedupe_key: str | None = None) -> None:
    if user is None or not user.active:
        return
    if actor is not None and getattr(actor, "id", None) == user.id:
        return  # never a notice of one's own action
    db.session.add(Notification(
        user_id=user.id, request_id=req.id, kind=kind, message=message,
        link=f"/staff/requests/{req.id}", dedupe_key=dedupe_key,
    ))


def _heads_of(unit_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role == Role.HEAD.value, User.active.is_(True))
    ).scalars())


def _journalist_mail(req: Any, kind: str, subject: str, body: str) -> None:
    journalist = req.journalist
    if journalist is None or not journalist.email:
        return
    db.session.add(OutboxMail(
        to_address=journalist.email,
        subject=subject,
        body_text=body,
        # Only the receipt is one-per-request by nature; other events may repeat (e.g. two extensions).
        dedupe_key=f"journalist:{req.id}:received" if kind == "received" else None,
    ))


def _vi(fn, *args: Any) -> str:  # type: ignore[no-untyped-def]
    # Journalists have no account: their mails are in Vietnamese.
    with force_locale("vi"):
        return fn(*args)


def request_received(req: Any, *, token: str, actor: Any) -> None:
    """Tell the journalist the reference, due date and tracking link; tell the unit's staff."""
    from spokes.notifications.content import received_mail

    subject, body = _vi(received_mail, req, token)
    _journalist_mail(req, "received", subject, body)


def request_assigned(req: Any, user: User, *, actor: Any) -> None:
    """Tell the new assignee."""
    _staff_notice(user, req, "assigned", _("Bạn được giao hồ sơ %(ref)s: %(subject)s", ref=req.reference, subject=req.subject), actor=actor)


def draft_submitted(req: Any, answer: Any, *, actor: Any) -> None:
    """Tell the unit's heads that a draft waits for approval."""
    for head in _heads_of(req.unit_id):
        _staff_notice(head, req, "awaiting_approval", _("Dự thảo trả lời hồ sơ %(ref)s đang chờ bạn duyệt.", ref=req.reference), actor=actor)


def draft_returned(req: Any, answer: Any, *, actor: Any) -> None:
    """Tell the author their draft came back."""
    _staff_notice(db.session.get(User, answer.author_id), req, "returned",
                  _("Dự thảo hồ sơ %(ref)s bị trả lại: %(comment)s", ref=req.reference, comment=answer.return_comment or ""), actor=actor)


def request_closed(req: Any, answer: Any, *, actor: Any) -> None:
    """Tell the journalist the answer or refusal; tell the author it went out."""
    from spokes.notifications.content import closed_mail

    subject, body = _vi(closed_mail, req, answer)
    _journalist_mail(req, req.state, subject, body)
    _staff_notice(db.session.get(User, answer.author_id), req, req.state,
                  _("Hồ sơ %(ref)s đã được gửi cho phóng viên.", ref=req.reference), actor=actor)


def request_withdrawn(req: Any, *, actor: Any) -> None:
    """Tell the assignee the journalist withdrew."""
    if req.assignee_id:
        _staff_notice(db.session.get(User, req.assignee_id), req, "withdrawn",
                      _("Phóng viên đã rút yêu cầu %(ref)s.", ref=req.reference), actor=actor)


def request_transferred(req: Any, record: Any, *, actor: Any) -> None:
    """Tell the journalist where the request went."""
    from spokes.notifications.content import transferred_mail

    subject, body = _vi(transferred_mail, req, record)
    _journalist_mail(req, "transferred", subject, body)


def request_extended(req: Any, record: Any, *, actor: Any) -> None:
    """Tell the journalist the new due date."""
    from spokes.notifications.content import extended_mail

    subject, body = _vi(extended_mail, req, record)
    _journalist_mail(req, "extended", subject, body)


def message_added(req: Any, message: Any, *, actor: Any) -> None:
    """Pass a follow-up to the assignee, or a message to the journalist."""
    if message.kind == "from_journalist" and req.assignee_id:
        _staff_notice(db.session.get(User, req.assignee_id), req, "follow_up",
                      _("Phóng viên gửi thêm tin nhắn về hồ sơ %(ref)s.", ref=req.reference), actor=actor)
    elif message.kind == "to_journalist":
        from spokes.notifications.content import message_mail

        subject, body = _vi(message_mail, req, message)
        _journalist_mail(req, f"message-{message.id}", subject, body)
