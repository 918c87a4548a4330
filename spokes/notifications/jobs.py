"""The periodic job: everything that is due, once. Run by ``flask --app spokes tick`` and ``worker``.

Job code, like a CLI command: it commits, once per batch, so a long run holds no long
transaction and a crash loses at most the batch in hand (which the next run redoes). Several
ticks may run at once, on one server or many: notices are deduplicated by unique keys and mails
are claimed row by row (see services.py and sender.py), so nothing is sent twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from spokes.core import once
from spokes.core.clock import now
from spokes.core.db import write_intent
from spokes.deadlines.services import work_calendar
from spokes.extensions import db
from spokes.notifications import sender, services
from spokes.conferences.services import remind_late_notices
from spokes.letters.services import remind_publication_overdue
from spokes.press_requests.services import expire_case_authorisations

log = logging.getLogger(__name__)

T = TypeVar("T")

# PostgreSQL: deadlock detected, serialization failure. Retrying the batch is safe.
RETRYABLE_PGCODES = {"40P01", "40001"}


@dataclass
class TickResult:
    """What one tick did, for the one-line summary."""

    authorisations: int = 0
    alerts: services.AlertStats = field(default_factory=services.AlertStats)
    digests: int = 0
    mail: sender.SendStats = field(default_factory=sender.SendStats)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return the one-line summary printed by the tick command."""
        a, m = self.alerts, self.mail
        line = (f"tick: {a.reminders} reminders, {a.overdue} overdue, {a.escalations} escalations "
                f"({a.requests} requests checked); {self.digests} digests; "
                f"mail {m.sent} sent, {m.retried} to retry, {m.failed} failed"
                f"{' (server unreachable)' if m.unreachable else ''}; "
                f"{self.authorisations} expired authorisations; {self.seconds:.2f}s")
        if self.errors:
            line += "; ERRORS in " + ", ".join(self.errors)
        return line


def _retrying(work: Callable[[], T], attempts: int = 3) -> T:
    """Run one batch; roll back and run it again if PostgreSQL reports a deadlock or serialization failure."""
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, DBAPIError) as err:
            db.session.rollback()
            code = getattr(getattr(err, "orig", None), "sqlstate", None) or getattr(getattr(err, "orig", None), "pgcode", None)
            if code not in RETRYABLE_PGCODES or attempt == attempts - 1:
                raise
            log.info("batch hit %s; retrying", code)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def run_alerts(moment: datetime, *, batch_size: int | None = None) -> services.AlertStats:
    """Send every reminder, overdue notice and escalation due at ``moment``, committing per batch.

    Reads only the requests whose ``next_alert_at`` has come (a partial index): the work is
    proportional to what is due, not to the number of requests.
    """
    size = batch_size or int(services.setting("NOTIFY_BATCH_SIZE", 500))
    ctx = services.alert_context(moment, work_calendar())
    db.session.commit()
    total = services.AlertStats()
    # The main deadline of open requests: only those whose next alert moment has come.
    while _retrying(lambda: _alert_batch(ctx, size, total)):
        pass
    # The conclusion milestone of forwarded complaints and denunciations (sending the conclusion
    # to the press agency), with the same reminders; few rows, read by their own index.
    after: int | None = 0
    while after is not None:
        after = _retrying(lambda after=after: _conclusion_batch(ctx, after, size, total))
    return total


def _conclusion_batch(ctx: services.AlertContext, after: int, size: int, total: services.AlertStats) -> int | None:
    """Process and commit one batch of conclusion milestones; return the last request id, or None when done."""
    rows = services.conclusion_batch(ctx, after, size)
    if not rows:
        db.session.rollback()
        return None
    last_id = int(rows[-1][0].id)  # read before the commit expires the row
    total.add(services.process_conclusion_alerts(ctx, rows))
    db.session.commit()
    return last_id if len(rows) == size else None


def _alert_batch(ctx: services.AlertContext, size: int, total: services.AlertStats) -> bool:
    """Process and commit one batch; return whether there may be more."""
    rows = services.due_batch(ctx, size)
    if not rows:
        db.session.rollback()
        return False
    total.add(services.process_alerts(ctx, rows))
    db.session.commit()
    return len(rows) == size


def run_digests(moment: datetime, *, batch_size: int | None = None) -> int:
    """Queue today's digests for everyone who has waiting notices (on working days, from 07:30)."""
    day = services.digest_day(moment, work_calendar())
    db.session.rollback()
    if day is None:
        return 0
    size = batch_size or int(services.setting("NOTIFY_DIGEST_BATCH_SIZE", 200))
    queued = 0
    after: int | None = 0
    while after is not None:
        after, count = _retrying(lambda after=after: _digest_batch(day, moment, after, size))
        queued += count
    return queued


def _digest_batch(day: Any, moment: datetime, after: int, size: int) -> tuple[int | None, int]:
    """Queue and commit one batch of digests; return (last user id or None when done, digests queued)."""
    users = services.digest_users_batch(moment, after, size)
    if not users:
        db.session.rollback()
        return None, 0
    last_id = users[-1].id
    count = services.send_digests(users, day, moment)
    db.session.commit()
    return last_id, count


def run_tick(*, stop: threading.Event | None = None) -> TickResult:
    """Do everything due once: expire case authorisations, remind, escalate, digest, send the outbox.

    A step that fails is logged and rolled back; the others still run (the outbox above all).
    """

    started = time.monotonic()
    result = TickResult()
    intent = write_intent.set(True)  # job transactions write: SQLite must take its lock up front
    try:
        moment = now()
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("authorisations", lambda: _commit_after(expire_case_authorisations)),
            ("alerts", lambda: run_alerts(moment)),
            ("publication_follow_up", lambda: _commit_after(lambda: remind_publication_overdue(moment))),
            ("conference_notices", lambda: _commit_after(lambda: remind_late_notices(moment))),
            ("digests", lambda: run_digests(moment)),
            ("outbox", lambda: sender.send_pending(stop=stop)),
            ("form_keys", lambda: _commit_after(lambda: once.prune(moment))),
        ]
        for name, step in steps:
            if stop is not None and stop.is_set() and name != "outbox":
                continue
            try:
                value = step()
            except Exception:  # noqa: BLE001 - one broken step must not stop the outbox
                db.session.rollback()
                log.exception("tick step %s failed", name)
                result.errors.append(name)
                continue
            if name == "authorisations":
                result.authorisations = value
            elif name == "alerts":
                result.alerts = value
            elif name == "digests":
                result.digests = value
            elif name == "outbox":
                result.mail = value
    finally:
        write_intent.reset(intent)
    result.seconds = time.monotonic() - started
    return result


def _commit_after(work: Callable[[], T]) -> T:
    value = work()
    db.session.commit()
    return value
