"""Who is told what when a request changes: receivers of the domain events (spokes.core.events).

They run inside the sending service's transaction.

Journalists get one e-mail per public event through the outbox (received with the reference,
due date and tracking link; transferred; extended; answered or refused; published; a message
from the unit). Staff get an in-app notice, e-mailed at once or in the daily digest as each
person chose:

* a new request in my unit (logged, submitted on the portal, or transferred in);
* a request assigned to me;
* a draft waiting for my approval (heads), or my draft returned to me;
* a follow-up from the journalist or a withdrawal, on a request I hold;
* due soon, overdue and escalations come from the periodic job (spokes/notifications/services.py).

Nobody is ever told about their own action: the actor is never a recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import Role
from spokes.core import events
from spokes.core.jinja import vn_datetime
from spokes.extensions import db
from spokes.notifications import content
from spokes.notifications import services as outbox

# Roles whose members hear of every new request in their own unit.
UNIT_STAFF_ROLES = (Role.CLERK.value, Role.SPOKESPERSON.value, Role.HEAD.value)


def _staff_notice(user: User | None, req: Any, kind: str, message: Callable[[], str] | str, *, actor: Any,
                  dedupe_key: str | None = None) -> None:
    """Leave a notice for one staff member (in their language), unless they are the actor."""
    if user is None or not user.active:
        return
    if actor is not None and getattr(actor, "id", None) == user.id:
        return  # never a notice of one's own action
    outbox.notify(user, req, kind, message, dedupe_key=dedupe_key)


def _heads_of(unit_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role == Role.HEAD.value, User.active.is_(True))
        .distinct().order_by(User.id)
    ).scalars())


def _unit_staff(unit_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role.in_(UNIT_STAFF_ROLES), User.active.is_(True))
        .distinct().order_by(User.id)
    ).scalars())


def _journalist_mail(req: Any, kind: str, subject: str | content.Mail, body: str | None = None,
                     html: str | None = None, attachments: tuple[tuple[str, str, bytes], ...] = ()) -> None:
    """Queue one e-mail to the request's journalist (nothing when there is no address).

    Accepts a rendered ``content.Mail``, or a plain subject and text body.
    """
    journalist = req.journalist
    if journalist is None or not journalist.email:
        return
    if isinstance(subject, content.Mail):
        mail = subject
    else:
        mail = content.Mail(subject=content.clean_subject(subject), text=body or "", html=html or "", locale="vi")
    # Only the receipt is one-per-request by nature; other events may repeat (e.g. two extensions).
    outbox.queue_mail(journalist.email, mail, kind=f"journalist.{kind}",
                      dedupe_key=f"journalist:{req.id}:received" if kind == "received" else None,
                      attachments=attachments, request_id=req.id)


def _vi(fn: Callable[..., content.Mail], *args: Any) -> content.Mail:
    # Journalists have no account: their mails are in Vietnamese.
    with force_locale("vi"):
        return fn(*args)


def _new_request_notices(req: Any, message: Callable[[], str], *, actor: Any) -> None:
    """Tell the unit's staff of a request new to the unit; the assignee hears of it as "assigned"."""
    for user in _unit_staff(req.unit_id):
        if user.id != req.assignee_id:
            _staff_notice(user, req, "new_request", message, actor=actor)


def request_received(req: Any, *, token: str, actor: Any) -> None:
    """Tell the journalist the reference, due date and tracking link; tell the unit's staff."""
    _journalist_mail(req, "received", _vi(content.received_mail, req, token))
    _new_request_notices(req, lambda: _("Yêu cầu mới %(ref)s của đơn vị: %(subject)s (hạn %(due)s).",
                                        ref=req.reference, subject=req.subject,
                                        due=vn_datetime(req.due_at)), actor=actor)


def tracking_link_renewed(req: Any, *, token: str) -> None:
    """Send the journalist the fresh tracking link they asked for on the look-up page."""
    _journalist_mail(req, "new_link", _vi(content.new_link_mail, req, token))


def request_assigned(req: Any, *, user: User, actor: Any) -> None:
    """Tell the new assignee."""
    _staff_notice(user, req, "assigned",
                  lambda: _("Bạn được giao yêu cầu %(ref)s: %(subject)s (hạn %(due)s).", ref=req.reference,
                            subject=req.subject, due=vn_datetime(req.due_at)), actor=actor)


def draft_submitted(req: Any, *, answer: Any, actor: Any) -> None:
    """Tell the unit's heads that a draft waits for approval."""
    for head in _heads_of(req.unit_id):
        _staff_notice(head, req, "awaiting_approval",
                      lambda: _("Dự thảo trả lời yêu cầu %(ref)s đang chờ bạn duyệt.", ref=req.reference), actor=actor)


def draft_returned(req: Any, *, answer: Any, actor: Any) -> None:
    """Tell the author their draft came back."""
    _staff_notice(db.session.get(User, answer.author_id), req, "returned",
                  lambda: _("Dự thảo yêu cầu %(ref)s bị trả lại: %(comment)s", ref=req.reference,
                            comment=answer.return_comment or ""), actor=actor)


def request_answered(req: Any, *, answer: Any, actor: Any) -> None:
    """Tell the journalist the answer or refusal; tell the author it went out."""
    _journalist_mail(req, req.state, _vi(content.closed_mail, req, answer))
    _staff_notice(db.session.get(User, answer.author_id), req, req.state,
                  lambda: _("Yêu cầu %(ref)s đã được gửi cho phóng viên.", ref=req.reference), actor=actor)


def request_withdrawn(req: Any, *, actor: Any) -> None:
    """Tell the assignee the journalist withdrew."""
    if req.assignee_id:
        _staff_notice(db.session.get(User, req.assignee_id), req, "withdrawn",
                      lambda: _("Phóng viên đã rút yêu cầu %(ref)s.", ref=req.reference), actor=actor)


def request_transferred(req: Any, *, record: Any, actor: Any) -> None:
    """Tell the journalist where the request went; tell the receiving unit's staff."""
    _journalist_mail(req, "transferred", _vi(content.transferred_mail, req, record))
    _new_request_notices(req, lambda: _("Yêu cầu %(ref)s được chuyển đến từ %(unit)s: %(subject)s (hạn %(due)s).",
                                        ref=req.reference, unit=record.from_unit.name, subject=req.subject,
                                        due=vn_datetime(req.due_at)), actor=actor)


def request_extended(req: Any, *, record: Any, actor: Any) -> None:
    """Tell the journalist the new due date."""
    _journalist_mail(req, "extended", _vi(content.extended_mail, req, record))


def request_reclassified(req: Any, *, old_type: str, old_due_at: Any, reason: str, actor: Any) -> None:
    """Tell the journalist the request's new type and its recounted due date."""
    _journalist_mail(req, "reclassified", _vi(content.reclassified_mail, req, old_type, old_due_at, reason))


def message_added(req: Any, *, message: Any, actor: Any) -> None:
    """Pass a follow-up to the assignee, or a message to the journalist."""
    if message.kind == "from_journalist" and req.assignee_id:
        _staff_notice(db.session.get(User, req.assignee_id), req, "follow_up",
                      lambda: _("Phóng viên gửi thêm tin nhắn về yêu cầu %(ref)s.", ref=req.reference), actor=actor)
    elif message.kind == "to_journalist":
        _journalist_mail(req, f"message-{message.id}", _vi(content.message_mail, req, message))


def request_published(req: Any, *, publication: Any, actor: Any) -> None:
    """Tell the journalist that the answer to their request is on the public news feed."""
    url = content.link("publishing.item", "", slug=publication.slug)
    _journalist_mail(req, "published", _vi(content.published_mail, req, publication.title, url or None))


def letter_issued(req: Any, *, letter: Any, file_name: str, content_type: str, data: bytes) -> None:
    """Send the journalist the unit's official letter, attached (PDF when there is one)."""
    _journalist_mail(req, "letter", _vi(content.letter_mail, req, letter.number_and_symbol, letter.summary,
                                        bool(letter.pdf_signer)),
                     attachments=((file_name, content_type, data),))


def subscribe() -> None:
    """Connect these receivers to the domain events (the composition root calls this once per app)."""
    for signal, receiver in (
        (events.request_received, request_received),
        (events.tracking_link_renewed, tracking_link_renewed),
        (events.request_assigned, request_assigned),
        (events.draft_submitted, draft_submitted),
        (events.draft_returned, draft_returned),
        (events.request_answered, request_answered),
        (events.request_withdrawn, request_withdrawn),
        (events.request_transferred, request_transferred),
        (events.request_extended, request_extended),
        (events.request_reclassified, request_reclassified),
        (events.message_added, message_added),
        (events.request_published, request_published),
        (events.letter_issued, letter_issued),
    ):
        signal.connect(receiver, weak=False)
