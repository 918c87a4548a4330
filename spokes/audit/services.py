"""Write audit events into a hash chain, and verify the chain."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select

from spokes.audit.actions import AuditAction
from spokes.audit.models import AuditChainHead, AuditEvent
from spokes.auth.models import User
from spokes.core.clock import now
from spokes.core.jinja import vn_date, vn_datetime
from spokes.extensions import db
from spokes.units.models import Unit

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


def _locked_head() -> AuditChainHead:
    """Return the chain head row, locked for this transaction (created on the first event)."""
    head = db.session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def _label_of(actor: Any | None, actor_label: str | None) -> str:
    return actor_label or (getattr(actor, "name", None) if actor is not None else None) or "system"


def record(
    action: AuditAction | str,
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
    head = _locked_head()
    label = _label_of(actor, actor_label)
    event = AuditEvent(
        seq=head.last_seq + 1,
        created_at=now(),
        actor_id=getattr(actor, "id", None),
        actor_label=label,
        action=str(action),
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


def public_events(object_type: str, object_id: int) -> list[AuditEvent]:
    """Return an object's events its public may read (the journalist's timeline), oldest first."""
    return list(db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id, AuditEvent.public.is_(True))
        .order_by(AuditEvent.seq)
    ).scalars())


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


# --------------------------------------------------------------------------- batch writing


def record_many(
    action: AuditAction | str,
    items: list[dict[str, Any]],
    *,
    actor: Any | None,
    obj_type: str,
    public: bool = False,
    actor_label: str | None = None,
    chunk: int = 2000,
) -> int:
    """Append one event per item (keys obj_id, unit_id, before, after) to the chain, in bulk.

    Same chain as ``record()`` — head row locked once, seq and hash computed in order — but
    inserted with executemany, so a reorganisation can log one event per moved request
    without one round trip each. Returns the number of events written.
    """
    if not items:
        return 0
    head = _locked_head()
    label = _label_of(actor, actor_label)
    moment = now()
    seq, prev_hash = head.last_seq, head.last_hash
    rows: list[dict[str, Any]] = []
    for item in items:
        seq += 1
        before, after = item.get("before"), item.get("after")
        # A transient event (never added to the session) gives exactly the fields record() hashes.
        event = AuditEvent(
            seq=seq, created_at=moment, actor_id=getattr(actor, "id", None), actor_label=label, action=str(action),
            object_type=obj_type, object_id=item.get("obj_id"), unit_id=item.get("unit_id"), public=public,
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None, prev_hash=prev_hash, hash="",
        )
        event.hash = _digest(prev_hash, _fields(event))
        rows.append({
            "seq": event.seq, "created_at": moment, "actor_id": event.actor_id, "actor_label": label,
            "action": str(action), "object_type": obj_type, "object_id": event.object_id, "unit_id": event.unit_id,
            "public": public, "before": event.before, "after": event.after, "prev_hash": prev_hash,
            "hash": event.hash,
        })
        prev_hash = event.hash
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(AuditEvent), rows[start:start + chunk])
    head.last_seq = seq
    head.last_hash = prev_hash
    db.session.flush()
    log.info("audit %s x%d on %s by %s", action, len(rows), obj_type, label)
    return len(rows)


# --------------------------------------------------------------------------- reading (the audit viewer)


@dataclass
class AuditFilter:
    """What the audit viewer filters on; every field is optional."""

    actor: str | None = None  # part of the actor's name or e-mail
    unit_id: int | None = None  # the unit and its subtree
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None  # an exact action, or a prefix ending with "." (e.g. "request.")
    date_from: date | None = None  # Vietnamese dates, inclusive
    date_to: date | None = None


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def events_query(
    *, unit_ids: list[int], unit_prefixes: list[str], include_unitless: bool, filters: AuditFilter,
) -> Any:
    """Return a SELECT of audit events in scope matching the filters, newest first.

    The scope is given explicitly (unit ids and subtree path prefixes, as from
    ``scope_paths``), so this module stays free of permission rules.
    """
    from sqlalchemy import false, or_

    from spokes.core.clock import VN_TZ

    scope: list[Any] = []
    if unit_ids:
        scope.append(AuditEvent.unit_id.in_(unit_ids))
    if unit_prefixes:
        in_subtree = select(Unit.id).where(or_(*(Unit.path.startswith(p) for p in unit_prefixes)))
        scope.append(AuditEvent.unit_id.in_(in_subtree))
    if include_unitless:
        scope.append(AuditEvent.unit_id.is_(None))
    stmt = select(AuditEvent).where(or_(*scope) if scope else false())
    f = filters
    if f.actor:
        term = _like(f.actor.strip().lower())
        by_email = select(User.id).where(func.lower(User.email).like(term, escape="\\"))
        stmt = stmt.where(or_(func.lower(AuditEvent.actor_label).like(term, escape="\\"),
                              AuditEvent.actor_id.in_(by_email)))
    if f.unit_id is not None:
        unit = db.session.get(Unit, f.unit_id)
        subtree = select(Unit.id).where(Unit.path.startswith(unit.path)) if unit else select(Unit.id).where(false())
        stmt = stmt.where(AuditEvent.unit_id.in_(subtree))
    if f.object_type:
        stmt = stmt.where(AuditEvent.object_type == f.object_type.strip())
    if f.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == f.object_id)
    if f.action:
        action = f.action.strip()
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.like(_like(action)[1:], escape="\\"))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if f.date_from is not None:
        start = datetime.combine(f.date_from, time.min, tzinfo=VN_TZ).astimezone(UTC)
        stmt = stmt.where(AuditEvent.created_at >= start)
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=VN_TZ).astimezone(UTC)
        stmt = stmt.where(AuditEvent.created_at < end)
    return stmt.order_by(AuditEvent.seq.desc())


def distinct_values(column: str) -> list[str]:
    """Return the distinct object types or actions in the log, for filter menus."""
    col = {"object_type": AuditEvent.object_type, "action": AuditEvent.action}[column]
    return list(db.session.execute(select(col).distinct().order_by(col)).scalars())


_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value: str) -> str:
    """Return a recorded ISO moment or day as people read it (dd/mm/yyyy, Vietnam time); other text as is."""
    try:
        if _ISO_MOMENT.fullmatch(value):
            return vn_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        if _ISO_DAY.fullmatch(value):
            return vn_date(date.fromisoformat(value))
    except ValueError:
        pass
    return value


def _short(value: Any, limit: int = 80) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = _shown(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact_changes(event: AuditEvent, limit: int = 80) -> list[tuple[str, str, str]]:
    """Return (key, before, after) lines for an event: only keys that differ, values shortened."""
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", _short(before, limit), _short(after, limit))]
    keys = sorted(set(before) | set(after))
    lines = []
    for key in keys:
        if key in before and key in after and before[key] == after[key]:
            continue
        lines.append((key, _short(before.get(key), limit) if key in before else "",
                      _short(after.get(key), limit) if key in after else ""))
    return lines
