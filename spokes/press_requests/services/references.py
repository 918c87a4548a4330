"""Public references and tracking tokens: numbering per unit and year, raised after a restore."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime

from sqlalchemy import select, update

from spokes.deadlines.calendar import to_vn
from spokes.core.db import rowcount
from spokes.extensions import db
from spokes.press_requests.models import PressRequest, ReferenceCounter
from spokes.units.models import Unit

log = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    """Return the stored form of a tracking token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return a fresh (token, hash) pair; only the hash is ever stored."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def next_reference(unit: Unit, received_at: datetime) -> str:
    """Return the next public reference for a unit and year, e.g. AM-DHU-2026-00042.

    The counter row is updated in place, which takes a row lock (or SQLite's write lock),
    so two servers never hand out the same number.
    """
    year = to_vn(received_at).year
    prefix = unit.reference_prefix
    bumped = rowcount(db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
    ))
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(ReferenceCounter(prefix=prefix, year=year, last_number=1))
        except Exception:  # noqa: BLE001 - another server created the row first; bump it instead
            db.session.execute(
                update(ReferenceCounter)
                .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
                .values(last_number=ReferenceCounter.last_number + 1)
            )
    number = db.session.execute(
        select(ReferenceCounter.last_number).where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
    ).scalar_one()
    return f"{prefix}-{year}-{number:05d}".upper()


def reference_floors() -> dict[tuple[str, int], int]:
    """Return the last number in use per (PREFIX, year): the counters' and the stored references' own."""
    floors: dict[tuple[str, int], int] = {}
    for prefix, year, number in db.session.execute(
            select(ReferenceCounter.prefix, ReferenceCounter.year, ReferenceCounter.last_number)):
        key = (prefix.upper(), year)
        floors[key] = max(floors.get(key, 0), number or 0)
    for (reference,) in db.session.execute(select(PressRequest.reference)):
        head, _sep, rest = reference.rpartition("-")
        head, _sep, year_text = head.rpartition("-")
        if head and year_text.isdigit() and rest.isdigit():
            key = (head.upper(), int(year_text))
            floors[key] = max(floors.get(key, 0), int(rest))
    return floors


def raise_reference_counters(floors: dict[tuple[str, int], int] | None = None) -> list[tuple[str, int, int, int]]:
    """Raise every reference counter past the highest number on file and past ``floors``; flush only.

    After a restore, the counters come back as they were at the backup, while references
    handed out since (in e-mails, on letters) must never be given again: ``floors`` holds the
    numbers in use just before the restore. Returns (prefix, year, old, new) per raised counter.
    """
    wanted = reference_floors()
    for key, number in (floors or {}).items():
        wanted[key] = max(wanted.get(key, 0), number)
    spelled = {p.upper(): p for p in db.session.execute(select(Unit.reference_prefix)).scalars() if p}
    counters = {(c.prefix.upper(), c.year): c for c in db.session.execute(select(ReferenceCounter)).scalars()}
    raised = []
    for (prefix, year), number in sorted(wanted.items()):
        counter = counters.get((prefix, year))
        if counter is None:
            counter = ReferenceCounter(prefix=spelled.get(prefix, prefix), year=year, last_number=0)
            db.session.add(counter)
        if (counter.last_number or 0) < number:
            raised.append((counter.prefix, year, counter.last_number or 0, number))
            counter.last_number = number
    db.session.flush()
    for prefix, year, old, new in raised:
        log.info("reference counter %s-%s raised from %s to %s", prefix, year, old, new)
    return raised
