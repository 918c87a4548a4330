"""How audit events read as history: the one presenter behind every timeline.

The staff request page, the journalist's tracking page, the public API's timeline and the audit
viewer (and its export) all turn events into words here, so an action reads the same everywhere:

* ``staff_history``: every event of a request, with its label (spokes/audit/labels.py), the actor
  and the details staff may see (state change, assignee, grounds, reasons);
* ``public_history``: only what the journalist may read, field by field (no staff names of
  internal steps, no unverified legal sources, no internal notes);
* ``public_event``: the API's code and title for a public event;
* ``action_choice_label``: the audit viewer's "words (code)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from spokes.audit.actions import AuditAction as A
from spokes.audit.labels import action_label
from spokes.audit.models import AuditEvent
from spokes.core.explain_text import stored_text
from spokes.core.jinja import vn_datetime
from spokes.press_requests.labels import type_label

ACTOR_LABELS = {"journalist": _l("Phóng viên"), "system": _l("Hệ thống")}

# What the journalist reads for each public action, and the stable code the API gives it.
PUBLIC_EVENTS: dict[str, tuple[str, Any]] = {
    A.REQUEST_RECEIVED: ("received", _l("Đã tiếp nhận yêu cầu")),
    A.REQUEST_ASSIGN: ("assigned", _l("Đã giao cho người phát ngôn")),
    A.REQUEST_EXTEND: ("extended", _l("Gia hạn thời hạn trả lời")),
    A.REQUEST_TRANSFER: ("transferred", _l("Chuyển đến đơn vị có thẩm quyền")),
    A.REQUEST_ANSWER: ("answered", _l("Đã trả lời")),
    A.REQUEST_APPROVE: ("answered", _l("Đã trả lời")),
    A.REQUEST_REFUSE: ("refused", _l("Từ chối cung cấp thông tin")),
    A.REQUEST_APPROVE_REFUSAL: ("refused", _l("Từ chối cung cấp thông tin")),
    A.REQUEST_WITHDRAW: ("withdrawn", _l("Đã rút yêu cầu")),
    A.REQUEST_REOPEN: ("reopened", _l("Mở lại yêu cầu")),
    A.REQUEST_PUBLISHED: ("published", _l("Đã đăng trên trang tin")),
    A.REQUEST_DEADLINE_RECOMPUTED: ("deadline_recomputed", _l("Thời hạn được tính lại do thay đổi lịch nghỉ")),
    A.REQUEST_UNIT_MERGED: ("unit_merged", _l("Đơn vị được sáp nhập")),
    A.REQUEST_RECLASSIFY: ("reclassified", _l("Đổi loại yêu cầu")),
    A.REQUEST_CONCLUSION_SENT: ("conclusion_sent", _l("Đã gửi kết luận giải quyết cho cơ quan báo chí")),
    A.MESSAGE_FROM_JOURNALIST: ("message_from_journalist", _l("Anh/chị gửi thêm tin nhắn")),
    A.MESSAGE_TO_JOURNALIST: ("message_to_journalist", _l("Tin nhắn từ đơn vị")),
}
# The codes the public API has always given (a stable contract): the newer events stay off it.
API_EVENTS = frozenset(PUBLIC_EVENTS) - {
    A.REQUEST_DEADLINE_RECOMPUTED, A.REQUEST_UNIT_MERGED, A.REQUEST_RECLASSIFY, A.REQUEST_CONCLUSION_SENT,
}
# How the journalist's page styles an entry (the CSS class timeline-<kind>).
PUBLIC_KINDS = {
    A.REQUEST_ANSWER: "answer", A.REQUEST_APPROVE: "answer", A.REQUEST_REFUSE: "refusal",
    A.REQUEST_APPROVE_REFUSAL: "refusal", A.REQUEST_PUBLISHED: "published",
    A.MESSAGE_FROM_JOURNALIST: "message", A.MESSAGE_TO_JOURNALIST: "message",
}


@dataclass
class HistoryEntry:
    """One line of a history, ready to show: when, who, what, and labelled details."""

    at: datetime
    action: str
    label: Any  # the words for the action
    actor: Any = None  # staff histories only
    lines: list[tuple[Any, str]] = field(default_factory=list)
    body: str | None = None  # plain text (a message), shown with line breaks kept
    link: tuple[str, str] | None = None  # (label, url)
    kind: str = "event"
    public: bool = False

    @property
    def title(self) -> Any:
        """The action's words (the name the journalist's page uses)."""
        return self.label

    @property
    def details(self) -> list[tuple[Any, str]]:
        """The labelled details (the name the staff page uses)."""
        return self.lines


# --------------------------------------------------------------------------- small readers


def as_datetime(value: Any) -> datetime | None:
    """Read a stored moment (an ISO string in an event's JSON), aware; None when it is not one."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def as_time(value: Any) -> str:
    """Show a stored moment (ISO string) as a Vietnamese date and time; other text as it is."""
    moment = as_datetime(value)
    return vn_datetime(moment) if moment else ("" if not value else str(value))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _person(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("name"):
        return ""
    return f"{value['name']} — {value['title']}" if value.get("title") else str(value["name"])


def _type_name(value: Any) -> str:
    return str(type_label(_text(value)))


_Line = tuple[Any, str, Callable[[Any], str]]
_REASON: _Line = (_l("Lý do"), "reason", _text)
_SPEAKER: _Line = (_l("Người phát ngôn"), "speaker", _person)
_UNITS: tuple[_Line, ...] = ((_l("Từ"), "from_unit", _text), (_l("Đến"), "to_unit", _text))
# The details the journalist reads under a public action: (label, key of ``after``, how it shows).
# The reason of a manual reassignment may be internal ("on leave"…): it is never shown.
_PUBLIC_LINES: dict[str, tuple[_Line, ...]] = {
    A.REQUEST_RECEIVED: ((_l("Đơn vị"), "unit", _text), (_l("Hạn trả lời"), "due_at", as_time)),
    A.REQUEST_ASSIGN: ((_l("Người phát ngôn"), "assignee", _person),),
    A.REQUEST_EXTEND: ((_l("Hạn mới"), "new_due_at", as_time), _REASON),
    A.REQUEST_TRANSFER: (*_UNITS, _REASON, (_l("Hạn trả lời mới"), "due_at", as_time)),
    A.REQUEST_ANSWER: (_SPEAKER,),
    A.REQUEST_APPROVE: (_SPEAKER,),
    A.REQUEST_WITHDRAW: (_REASON,),
    A.REQUEST_PUBLISHED: ((_l("Tiêu đề"), "title", _text),),
    A.REQUEST_DEADLINE_RECOMPUTED: ((_l("Hạn mới"), "due_at", as_time),),
    A.REQUEST_UNIT_MERGED: _UNITS,
    A.REQUEST_RECLASSIFY: ((_l("Loại cũ"), "old_type", _type_name), (_l("Loại mới"), "type", _type_name),
                           _REASON, (_l("Hạn trả lời mới"), "new_due_at", as_time)),
    A.REQUEST_CONCLUSION_SENT: ((_l("Số, ký hiệu"), "conclusion_document", _text),),
    A.REQUEST_REOPEN: (_REASON,),
}


def action_choice_label(code: str) -> str:
    """Return "words (code)" for the audit viewer's action filter."""
    return f"{action_label(code)} ({code})"


# --------------------------------------------------------------------------- staff


def staff_history(events: Iterable[AuditEvent], state_label: Callable[[str], Any]) -> list[HistoryEntry]:
    """Turn a request's audit events into the staff timeline (every event, with its details).

    ``state_label`` gives the words for a state code (the request feature owns them).
    """
    entries = []
    for e in events:
        before, after = e.before or {}, e.after or {}
        lines: list[tuple[Any, str]] = []
        if before.get("state") and after.get("state") and before["state"] != after["state"]:
            lines.append((_l("Trạng thái"), f"{state_label(before['state'])} → {state_label(after['state'])}"))
        if e.action == A.REQUEST_RECEIVED:
            lines.append((_l("Đơn vị"), str(after.get("unit") or "")))
            lines.append((_l("Hạn trả lời"), as_time(after.get("due_at"))))
        if isinstance(after.get("assignee"), dict):
            lines.append((_l("Người được giao"), str(after["assignee"].get("name") or "")))
        if after.get("from_unit"):
            lines.append((_l("Chuyển"), f"{after['from_unit']} → {after.get('to_unit')}"))
        if after.get("old_type"):
            lines.append((_l("Loại yêu cầu"), f"{type_label(after['old_type'])} → {type_label(after.get('type') or '')}"))
        if after.get("conclusion_document"):
            lines.append((_l("Kết luận"), str(after["conclusion_document"])))
        new_due = after.get("new_due_at") or (after.get("due_at") if e.action in (
            A.REQUEST_TRANSFER, A.REQUEST_DEADLINE_RECOMPUTED) else None)
        if new_due:
            lines.append((_l("Hạn mới"), as_time(new_due)))
        if after.get("amount"):
            lines.append((_l("Gia hạn thêm"), str(after["amount"])))
        if isinstance(after.get("refusal_ground"), dict):
            ground = after["refusal_ground"]
            lines.append((_l("Căn cứ từ chối"), f"{ground.get('text')} ({ground.get('source')})"))
        if after.get("refusal_reason"):
            lines.append((_l("Lý do từ chối"), str(after["refusal_reason"])))
        if after.get("comment"):
            lines.append((_l("Ý kiến"), str(after["comment"])))
        if after.get("reason"):
            lines.append((_l("Lý do"), stored_text(str(after["reason"]))))
        if e.action == A.REQUEST_PUBLISHED and after.get("title"):
            lines.append((_l("Tiêu đề"), str(after["title"])))
        entries.append(HistoryEntry(
            at=e.created_at, action=e.action, label=action_label(e.action),
            actor=ACTOR_LABELS.get(e.actor_label, e.actor_label), lines=lines, public=bool(e.public),
        ))
    return entries


# --------------------------------------------------------------------------- the journalist


def public_entry(event: AuditEvent, messages: Mapping[int, str],
                 publication_url: Callable[[str], str]) -> HistoryEntry | None:
    """Translate one public audit event into what the journalist may read, field by field.

    Only named keys are copied out of ``after``; nothing else of the audit record (actor ids,
    staff names of internal steps, before-snapshots) reaches the page. ``messages`` maps a
    message id to its text (journalist-facing messages only); ``publication_url`` builds the
    link to a published item from its slug.
    """
    after = event.after or {}
    action = event.action
    known = PUBLIC_EVENTS.get(action)
    if known is None and action.startswith("message."):
        return None  # internal notes are never public; skip even if mis-flagged
    entry = HistoryEntry(at=event.created_at, action=action, label=known[1] if known else _("Yêu cầu được cập nhật"),
                         kind=PUBLIC_KINDS.get(action, "event"), public=True)
    entry.lines = [(str(label), show(after.get(key))) for label, key, show in _PUBLIC_LINES.get(action, ())]
    if action in (A.REQUEST_REFUSE, A.REQUEST_APPROVE_REFUSAL):
        ground = after.get("refusal_ground") if isinstance(after.get("refusal_ground"), dict) else {}
        ground_text = _text(ground.get("text"))
        # An unverified (U) source never reaches the journalist; events logged before the
        # confidence was recorded show no source rather than risk one.
        if ground.get("source") and ground.get("confidence") in ("Q", "S"):
            ground_text = f"{ground_text} ({_text(ground.get('source'))})"
        entry.lines = [(_("Căn cứ"), ground_text), (_("Lý do"), _text(after.get("refusal_reason")))]
    elif action == A.REQUEST_PUBLISHED:
        slug = _text(after.get("publication_slug"))
        if slug:
            entry.link = (_("Xem tin đã đăng"), publication_url(slug))
    elif action in (A.MESSAGE_FROM_JOURNALIST, A.MESSAGE_TO_JOURNALIST):
        body = messages.get(after.get("message_id")) if isinstance(after.get("message_id"), int) else None
        if body is None:
            return None
        entry.body = body
    entry.lines = [(label, value) for label, value in entry.lines if value]
    return entry


def public_history(events: Iterable[AuditEvent], messages: Mapping[int, str],
                   publication_url: Callable[[str], str]) -> list[HistoryEntry]:
    """Return the journalist's timeline from a request's public events, oldest first."""
    entries = [e for e in (public_entry(ev, messages, publication_url) for ev in events) if e is not None]
    entries.sort(key=lambda e: e.at)
    return entries


def public_event(action: str) -> tuple[str, Any] | None:
    """Return the API's (event code, title) for an action, or None when the API does not show it."""
    return PUBLIC_EVENTS[action] if action in API_EVENTS else None
