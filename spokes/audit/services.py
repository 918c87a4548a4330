"""Write audit events into a hash chain, and verify the chain."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select

from spokes.audit.models import AuditChainHead, AuditEvent
from spokes.core.clock import now
from spokes.extensions import db

log = logging.getLogger(__name__)

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "unit_id": event.unit_id,
        "public": bool(event.public),
        "before": event.before,
        "after": event.after,
    }


def record(
    action: str,
    *,
    actor: Any | None,
    obj_type: str,
    obj_id: int | None,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = False,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append an audit event to the chain in the current transaction.

    The chain head row is locked first, so concurrent writers (even on several servers)
    take turns and the chain never forks.
    """
    head = db.session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    label = actor_label or (getattr(actor, "name", None) if actor is not None else None) or "system"
    event = AuditEvent(
        seq=head.last_seq + 1,
        created_at=now(),
        actor_id=getattr(actor, "id", None),
        actor_label=label,
        action=action,
        object_type=obj_type,
        object_id=obj_id,
        unit_id=unit_id,
        public=public,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = _digest(event.prev_hash, _fields(event))
    head.last_seq = event.seq
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    log.info("audit %s %s#%s by %s", action, obj_type, obj_id, label)
    return event


@dataclass(frozen=True)
class ChainProblem:
    """The first place where the chain does not hold."""

    seq: int
    event_id: int | None
    reason: str


def _iter_events(batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        db.session.expunge_all()


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Check every event's hash and link; return (events checked, first problem or None)."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in _iter_events():
        if event.seq != expected_seq:
            return checked, ChainProblem(expected_seq, None, f"event #{expected_seq} is missing (deleted)")
        if event.prev_hash != expected_prev:
            return checked, ChainProblem(event.seq, event.id, "link to the previous event is broken")
        if _digest(event.prev_hash, _fields(event)) != event.hash:
            return checked, ChainProblem(event.seq, event.id, "content does not match its hash (edited)")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditChainHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != expected_prev):
        return checked, ChainProblem(checked + 1, None, "the newest events are missing (deleted)")
    return checked, None
