"""Notices, the outbox, reminders, escalations and digests. Services flush; they never commit.

The periodic job (spokes/notifications/jobs.py) calls the batch functions here and commits
after each batch.

Reminders and escalations (issue 7 §3):

* A reminder "k working days before" the due date is due from ``NOTIFY_REMINDER_TIME``
  (07:00, Vietnamese time) on ``add_working_days(due_date, -k, calendar)``, for each k in the
  offsets of the rule the request was counted with (by default 3 and 1). When several are due
  at once (the job did not run, or the request arrived late) only the nearest one is sent.
  Reminders go to the assignee, and to the unit's heads when the request waits for their
  approval or has nobody assigned.
* An overdue request is escalated at once to the assignee and the unit's heads, and to the
  overseers of every unit above it (or of the unit itself) once the due date is more than
  ``rule.escalate_after_working_days`` working days behind (from the following day on).
* Every notice carries ``dedupe_key`` = kind, request, due date and recipient. It is unique,
  and notices are inserted with ON CONFLICT DO NOTHING, so a notice is created once, ever,
  however many jobs run at the same time. An e-mail for an immediate-mode user is written only
  for a notice that was actually inserted. A new due date (extension, transfer, calendar
  change) arms the reminders again.

Digests: on working days from ``NOTIFY_DIGEST_TIME`` (07:30), each user with notices not yet
e-mailed and not yet read gets one e-mail listing them, grouped by kind and request. The
outbox row's ``dedupe_key`` ``digest:<user>:<day>`` makes it once per day, and the notices are
claimed for that mail by one UPDATE, so two jobs never put a notice in two digests.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any, TypedDict

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from spokes.audit import services as audit
from spokes.auth.models import Membership, NotifyMode, User
from spokes.auth.permissions import Role
from spokes.core.clock import now
from spokes.core.db import rowcount
from spokes.core.errors import DomainError
from spokes.core.jinja import vn_datetime
from spokes.core.model_types import UTCDateTime
from spokes.deadlines.calendar import VN_TZ, WorkCalendar
from spokes.deadlines.engine import add_working_days
from spokes.deadlines.models import Rule, Rulebook
from spokes.extensions import db
from spokes.notifications import content
from spokes.notifications.models import (
    ConclusionAlert,
    DeadlineAlert,
    MailStatus,
    Notification,
    OutboxAttachment,
    OutboxMail,
    new_message_id,
)
from spokes.press_requests.models import OPEN_STATES, PressRequest, RequestState
from spokes.units.models import Unit

log = logging.getLogger(__name__)

LOCALES = ("vi", "en")
OPEN_VALUES = tuple(s.value for s in OPEN_STATES)


def setting(name: str, default: Any) -> Any:
    """Return a notifications setting from the app config, with the feature's default."""
    value = current_app.config.get(name)
    return default if value is None or value == "" else value


def _clock(value: str) -> time:
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def locale_of(user: Any) -> str:
    """Return the language a user reads mail in (Vietnamese unless they chose English)."""
    locale = getattr(user, "locale", None)
    return locale if locale in LOCALES else "vi"


@dataclass(frozen=True)
class Recipient:
    """The few facts about a staff member that notices and mails need (no ORM object to expire)."""

    id: int
    email: str
    name: str
    locale: str
    notify_mode: str

    @classmethod
    def of(cls, row: Sequence[Any]) -> Recipient:
        """Return the recipient of a row of ``RECIPIENT_COLUMNS``."""
        return cls(*row)


RECIPIENT_COLUMNS = (User.id, User.email, User.name, User.locale, User.notify_mode)


@dataclass(frozen=True)
class RuleFacts:
    """What reminders need of a rule."""

    reminder_offsets: tuple[int, ...]
    escalate_after_working_days: int


# --------------------------------------------------------------------------- outbox and notices


def queue_mail(to_address: str, mail: content.Mail, *, kind: str, dedupe_key: str | None = None,
               attachments: Sequence[tuple[str, str, bytes]] = (), request_id: int | None = None) -> OutboxMail:
    """Write one e-mail into the outbox, in the caller's transaction; the sender delivers it later.

    ``attachments`` are (file name, content type, bytes), sent with the mail. ``request_id``
    puts a journalist's mail in the request's e-mail conversation (spokes/mailin).
    """
    row = OutboxMail(
        to_address=to_address, subject=mail.subject, body_text=mail.text, body_html=mail.html or None,
        locale=mail.locale, kind=kind[:40], dedupe_key=dedupe_key, next_attempt_at=now(), created_at=now(),
        message_id=_message_id(), attachment_count=len(attachments), request_id=request_id,
    )
    db.session.add(row)
    if attachments:
        db.session.flush()
        db.session.add_all(OutboxAttachment(mail_id=row.id, filename=name, content_type=kind_, data=data)
                           for name, kind_, data in attachments)
    return row


def notify(user: User, req: Any | None, kind: str, message: Callable[[], str] | str, *,
           dedupe_key: str | None = None) -> Notification | None:
    """Leave an in-app notice for a user, in their language; e-mail it now if they chose so.

    ``message`` may be a callable, evaluated in the user's language. With a ``dedupe_key``
    that already exists nothing happens and None is returned.
    """
    moment = now()
    with force_locale(locale_of(user)):
        text = str(message() if callable(message) else message)
        notice = Notification(
            user_id=user.id, request_id=req.id if req is not None else None, kind=kind, message=text,
            link=content.REQUEST_PATH.format(id=req.id) if req is not None else None,
            dedupe_key=dedupe_key, created_at=moment,
        )
        if dedupe_key is None:
            db.session.add(notice)
        else:
            try:
                with db.session.begin_nested():
                    db.session.add(notice)
            except IntegrityError:
                return None
        if user.notify_mode == NotifyMode.IMMEDIATE.value:
            mail = queue_mail(user.email, content.notice_mail(user, kind, text, req), kind=f"staff.{kind}")
            db.session.flush()
            notice.mail_id = mail.id
            notice.emailed_at = moment
    return notice


def notify_heads_once(unit_id: int, also_user_id: int | None, key: str, **notice: Any) -> int:
    """Leave a notice for each head of a unit and for one more user (who started the matter), once each.

    Each user's notice carries the dedupe key "<key>:<user id>"; a user who already has it gets
    nothing new. ``notice`` holds the Notification's other columns. Return how many were left.
    """
    heads = select(Membership.user_id).where(Membership.unit_id == unit_id, Membership.role == Role.HEAD.value)
    users = set(db.session.execute(heads).scalars()) | ({also_user_id} if also_user_id else set())
    left = 0
    for user_id in sorted(users):
        dedupe_key = f"{key}:{user_id}"
        if db.session.execute(select(Notification.id).where(Notification.dedupe_key == dedupe_key)).first():
            continue
        db.session.add(Notification(dedupe_key=dedupe_key, user_id=user_id, **notice))
        left += 1
    return left


def _dialect_insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(table)
    if dialect == "sqlite":
        return sqlite_insert(table)
    return None


def _insert_ignoring_duplicates(model: Any, rows: Sequence[dict[str, Any]], key: str,
                                returning: Sequence[Any]) -> list[Any]:
    """Insert rows, skipping those whose unique ``key`` exists; return the inserted rows' ``returning``.

    PostgreSQL and SQLite use INSERT … ON CONFLICT DO NOTHING (a concurrent inserter of the same
    key waits for the other transaction, then skips), sent as one executemany that SQLAlchemy
    batches into multi-row statements. Other databases insert row by row in a savepoint. Rows
    go in key order so two jobs lock keys in the same order (no deadlock).
    """
    rows = sorted(rows, key=lambda r: r[key])
    if not rows:
        return []
    table = model.__table__
    stmt = _dialect_insert(table)
    if stmt is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[key]]).returning(*returning)
        return list(db.session.execute(stmt, rows).all())
    inserted: list[Any] = []
    for row in rows:  # pragma: no cover - only for databases we do not ship with
        try:
            with db.session.begin_nested():
                inserted.append(db.session.execute(table.insert().values(**row).returning(*returning)).one())
        except IntegrityError:
            continue
    return inserted


def _upsert(model: Any, rows: Sequence[Mapping[str, Any]], key: str, columns: Iterable[str]) -> None:
    """Insert rows or update the given columns of the existing ones (PostgreSQL and SQLite)."""
    rows = sorted(rows, key=lambda r: r[key])
    if not rows:
        return
    table = model.__table__
    stmt = _dialect_insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c[key]], set_={c: stmt.excluded[c] for c in columns})
    db.session.execute(stmt, rows)


@dataclass
class NoticeDraft:
    """A notice to insert in bulk (reminders, escalations)."""

    user: Recipient
    req: PressRequest
    kind: str
    dedupe_key: str
    message: Callable[[], str]


def create_notices(drafts: Sequence[NoticeDraft], moment: datetime) -> int:
    """Insert notices once each (ON CONFLICT DO NOTHING) and queue the immediate e-mails; return how many were new."""
    by_key = {d.dedupe_key: d for d in drafts}
    rows = []
    texts: dict[str, str] = {}
    for locale in LOCALES:
        with force_locale(locale):
            for d in by_key.values():
                if locale_of(d.user) == locale:
                    texts[d.dedupe_key] = str(d.message())
    for d in by_key.values():
        rows.append({
            "user_id": d.user.id, "request_id": d.req.id, "kind": d.kind, "message": texts[d.dedupe_key],
            "link": content.REQUEST_PATH.format(id=d.req.id), "dedupe_key": d.dedupe_key, "created_at": moment,
            "read_at": None, "emailed_at": None, "mail_id": None,
        })
    inserted = _insert_ignoring_duplicates(Notification, rows, "dedupe_key", (Notification.id, Notification.dedupe_key))
    immediate = [(nid, by_key[key]) for nid, key in inserted
                 if by_key[key].user.notify_mode == NotifyMode.IMMEDIATE.value]
    if immediate:
        mails: list[tuple[int, OutboxMail]] = []
        for locale in LOCALES:
            with force_locale(locale):
                for nid, d in immediate:
                    if locale_of(d.user) == locale:
                        mail = content.notice_mail(d.user, d.kind, texts[d.dedupe_key], d.req)
                        mails.append((nid, queue_mail(d.user.email, mail, kind=f"staff.{d.kind}")))
        db.session.flush()
        db.session.execute(update(Notification), [
            {"id": nid, "mail_id": mail.id, "emailed_at": moment} for nid, mail in mails
        ])
    return len(inserted)


# --------------------------------------------------------------------------- the notification centre


UNREAD_SHOWN_UP_TO = 100  # the bell says "99+" past this: counting further would only cost time


def unread_label(count: int) -> str:
    """Return the unread count as the bell and the centre show it: "99+" from ``UNREAD_SHOWN_UP_TO`` on."""
    return str(count) if count < UNREAD_SHOWN_UP_TO else f"{UNREAD_SHOWN_UP_TO - 1}+"


def unread_count(user: Any, *, up_to: int = UNREAD_SHOWN_UP_TO) -> int:
    """Return how many notices the user has not read, counting no further than ``up_to``.

    One indexed statement whose cost stops at ``up_to`` rows, however many notices someone
    overseeing a whole province has left unread.
    """
    unread = (select(Notification.id).where(Notification.user_id == user.id, Notification.read_at.is_(None))
              .limit(up_to).subquery())
    return int(db.session.execute(select(func.count()).select_from(unread)).scalar_one())


def notifications_query(user: Any, *, unread_only: bool = False) -> Any:
    """Return the SELECT of a user's notices, newest first, with their requests loaded in one more query."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(selectinload(Notification.request).options(lazyload(PressRequest.journalist)))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


def own_notification(user: Any, notification_id: int) -> Notification | None:
    """Return the user's notice with this id, or None (another person's notice is never returned)."""
    return db.session.execute(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    ).scalar_one_or_none()


def mark_read(user: Any, notice: Notification) -> bool:
    """Mark one of the user's notices read; return False when it already was."""
    if notice.user_id != user.id:
        raise DomainError(_("Thông báo này không phải của bạn."), status=403)
    if notice.read_at is not None:
        return False
    notice.read_at = now()
    db.session.flush()
    return True


def mark_all_read(user: Any) -> int:
    """Mark all the user's notices read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def update_preferences(user: User, notify_mode: str, locale: str) -> dict[str, Any]:
    """Change how a user gets e-mail (immediate or daily digest) and their language; audit it.

    Notices already waiting go out in the next digest either way.
    """
    if notify_mode not in NotifyMode._value2member_map_:
        raise DomainError(_("Cách nhận thư không hợp lệ."), status=400)
    if locale not in LOCALES:
        raise DomainError(_("Ngôn ngữ không hợp lệ."), status=400)
    before = {"notify_mode": user.notify_mode, "locale": user.locale}
    user.notify_mode = notify_mode
    user.locale = locale
    after = {"notify_mode": notify_mode, "locale": locale}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        db.session.flush()
        audit.record("user.preferences", actor=user, obj_type="user", obj_id=user.id,
                     before={k: before[k] for k in changed}, after=changed)
    return changed


# --------------------------------------------------------------------------- reminders and escalation


@dataclass
class AlertContext:
    """What every batch of one run shares: the moment, the calendar, the rules and the overseers."""

    moment: datetime
    today: date
    reminder_day: date  # the last day whose reminders are due (today after 07:00, else yesterday)
    calendar: WorkCalendar
    rules: dict[int, RuleFacts]
    overseers: list[tuple[str, Recipient]]  # (unit path, overseer) — reaches that unit's subtree
    reminder_time: time = time(7, 0)
    # The conclusion milestone's reminder facts by request type (the newest rulebook that has one).
    conclusion_rules: dict[str, RuleFacts] = field(default_factory=dict)

    def reminder_offset(self, due: date, offsets: Iterable[int]) -> int | None:
        """Return the nearest reminder offset that is due, or None."""
        due_now = [k for k in offsets if add_working_days(due, -k, self.calendar) <= self.reminder_day]
        return min(due_now) if due_now else None

    def escalation_due(self, due: date, after_working_days: int) -> bool:
        """Return whether an overdue request is past its escalation day."""
        return add_working_days(due, after_working_days, self.calendar) < self.today


def alert_context(moment: datetime, calendar: WorkCalendar) -> AlertContext:
    """Gather what reminders and escalations need once per run (rules and overseers: small tables)."""
    local = moment.astimezone(VN_TZ)
    today = local.date()
    reminder_time = _clock(setting("NOTIFY_REMINDER_TIME", "07:00"))
    reminder_day = today if local.time() >= reminder_time else today - timedelta(days=1)
    rules = {rule_id: RuleFacts(tuple(offsets or ()), after) for rule_id, offsets, after in db.session.execute(
        select(Rule.id, Rule.reminder_offsets, Rule.escalate_after_working_days)).all()}
    overseers = [(path, Recipient.of(facts)) for path, *facts in db.session.execute(
        select(Unit.path, *RECIPIENT_COLUMNS)
        .join(Membership, Membership.unit_id == Unit.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == Role.OVERSEER.value, User.active.is_(True))
        .order_by(User.id)
    ).all()]
    conclusion_rules: dict[str, RuleFacts] = {}
    for request_type, offsets, after in db.session.execute(
        select(Rule.request_type, Rule.reminder_offsets, Rule.escalate_after_working_days)
        .join(Rulebook, Rulebook.id == Rule.rulebook_id)
        .where(Rule.milestone == "conclusion").order_by(Rulebook.valid_from)
    ).all():
        conclusion_rules[request_type] = RuleFacts(tuple(offsets or ()), after)
    return AlertContext(moment=moment, today=today, reminder_day=reminder_day, calendar=calendar, rules=rules,
                        overseers=overseers, reminder_time=reminder_time, conclusion_rules=conclusion_rules)


def next_alert_moment(ctx: AlertContext, due_at: datetime, rule: RuleFacts | None, reminded_offset: int | None,
                      overdue_at: datetime | None, escalated_at: datetime | None) -> datetime | None:
    """Return the first moment after which the job has something to do for an open request, or None.

    It mirrors ``process_alerts``: a reminder at offset k is due from ``reminder_time`` on
    ``add_working_days(due day, -k)`` (only offsets smaller than the one already sent are
    left); the overdue notice from the due moment; the escalation from midnight after
    ``add_working_days(due day, escalate_after_working_days)`` (Vietnamese time).
    """
    due_day = due_at.astimezone(VN_TZ).date()
    candidates: list[datetime] = []
    if overdue_at is None:
        candidates.append(due_at)
        if due_at > ctx.moment and rule is not None:
            for k in rule.reminder_offsets:
                if reminded_offset is None or k < reminded_offset:
                    day = add_working_days(due_day, -k, ctx.calendar)
                    candidates.append(datetime.combine(day, ctx.reminder_time, tzinfo=VN_TZ).astimezone(UTC))
    if escalated_at is None:
        after = rule.escalate_after_working_days if rule else 0
        day = add_working_days(due_day, after, ctx.calendar) + timedelta(days=1)
        candidates.append(datetime.combine(day, time(0, 0), tzinfo=VN_TZ).astimezone(UTC))
    return min(candidates) if candidates else None


def due_batch(ctx: AlertContext, limit: int) -> list[tuple[PressRequest, DeadlineAlert | None]]:
    """Return up to ``limit`` requests whose next alert moment has come, by that moment.

    Reads the partial index on ``next_alert_at`` only: with nothing due it reads no row at
    all, whatever the number of requests. On PostgreSQL the rows are locked and rows locked by
    another job are skipped (``SKIP LOCKED``), so several servers share the work; processing a
    row moves its ``next_alert_at`` past the run's moment, so the next batch starts again from
    the top of the index.
    """
    stmt = (
        select(PressRequest, DeadlineAlert)
        .outerjoin(DeadlineAlert, DeadlineAlert.request_id == PressRequest.id)
        .options(lazyload(PressRequest.journalist))
        .where(PressRequest.next_alert_at.is_not(None), PressRequest.next_alert_at <= ctx.moment)
        .order_by(PressRequest.next_alert_at, PressRequest.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=PressRequest)
    return [(req, alert) for req, alert in db.session.execute(stmt).all()]


def conclusion_batch(ctx: AlertContext, after_id: int, limit: int) -> list[tuple[PressRequest, ConclusionAlert | None]]:
    """Return the next requests (by id) whose conclusion is still to be sent and may need a notice.

    The conclusion usually comes after the acceptance notice answered the request, so the state
    does not matter here, only that the conclusion was recorded, has a due date and is unsent.
    """
    stmt = (
        select(PressRequest, ConclusionAlert)
        .outerjoin(ConclusionAlert, ConclusionAlert.request_id == PressRequest.id)
        .options(lazyload(PressRequest.journalist))
        .where(PressRequest.conclusion_due_at.is_not(None), PressRequest.conclusion_sent_at.is_(None),
               PressRequest.id > after_id,
               or_(ConclusionAlert.request_id.is_(None), ConclusionAlert.due_at != PressRequest.conclusion_due_at,
                   ConclusionAlert.escalated_at.is_(None)))
        .order_by(PressRequest.id)
        .limit(limit)
    )
    return [(req, alert) for req, alert in db.session.execute(stmt).all()]


@dataclass
class AlertStats:
    """What one run of reminders and escalations did."""

    requests: int = 0
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0

    def add(self, other: AlertStats) -> None:
        """Add another batch's counts to these."""
        self.requests += other.requests
        self.reminders += other.reminders
        self.overdue += other.overdue
        self.escalations += other.escalations


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _working_days_left(ctx: AlertContext, due: date) -> int:
    count, day = 0, ctx.today
    while day < due and count < 400:
        day = ctx.calendar.next_working_day(day)
        if day <= due:
            count += 1
    return count


def _working_days_late(ctx: AlertContext, due: date) -> int:
    count, day = 0, due
    while count < 400:
        day = ctx.calendar.next_working_day(day)
        if day >= ctx.today:
            return count
        count += 1
    return count


class _Progress(TypedDict):
    """How far a request's alerts went for its current due moment (a row of the milestone's table)."""

    request_id: int
    due_at: datetime
    reminded_offset: int | None
    overdue_at: datetime | None
    escalated_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class _Milestone:
    """What differs between the main deadline and the conclusion milestone when alerting."""

    model: Any
    key: str  # prefix of the notices' dedupe keys
    due_of: Callable[[PressRequest], datetime | None]
    rule_of: Callable[[AlertContext, PressRequest], RuleFacts | None]
    due_soon: Callable[[PressRequest, int], Callable[[], str]]
    overdue: Callable[[PressRequest], Callable[[], str]]
    escalation: Callable[[PressRequest, int], Callable[[], str]]


def process_conclusion_alerts(ctx: AlertContext, rows: Sequence[tuple[PressRequest, Any]]) -> AlertStats:
    """Remind, flag and escalate the sending of recorded conclusions (ND 237 Điều 18(2)), like a deadline."""
    return process_alerts(ctx, rows, milestone=CONCLUSION_MILESTONE)


def process_alerts(ctx: AlertContext, rows: Sequence[tuple[PressRequest, Any]], *,
                   milestone: _Milestone | None = None) -> AlertStats:
    """Send the reminders, overdue notices and escalations due for a batch of requests; no N+1.

    Loads the heads and assignees of the whole batch in two queries, inserts the notices in
    bulk, queues immediate e-mails and records the progress in ``deadline_alerts`` (or, for
    the conclusion milestone, ``conclusion_alerts``).
    """
    ms = milestone or MAIN_MILESTONE
    stats = AlertStats(requests=len(rows))
    if not rows:
        return stats
    unit_ids = {req.unit_id for req, _a in rows}
    assignee_ids = {req.assignee_id for req, _a in rows if req.assignee_id}
    heads: dict[int, list[Recipient]] = defaultdict(list)
    for unit_id, *facts in db.session.execute(
        select(Membership.unit_id, *RECIPIENT_COLUMNS).join(User, User.id == Membership.user_id)
        .where(Membership.unit_id.in_(unit_ids), Membership.role == Role.HEAD.value, User.active.is_(True))
        .order_by(User.id)
    ).all():
        heads[unit_id].append(Recipient.of(facts))
    assignees = {r.id: r for r in (Recipient.of(facts) for facts in db.session.execute(
        select(*RECIPIENT_COLUMNS).where(User.id.in_(assignee_ids), User.active.is_(True))).all())
    } if assignee_ids else {}

    drafts: list[NoticeDraft] = []
    progress: list[_Progress] = []
    schedule: list[dict[str, Any]] = []
    for req, alert in rows:
        main = ms is MAIN_MILESTONE
        if main and req.state not in OPEN_VALUES:
            schedule.append({"rid": req.id, "nxt": None})
            continue
        rule = ms.rule_of(ctx, req)
        due_at = ms.due_of(req)
        if due_at is None:  # the batches read only requests with this milestone; nothing to alert
            continue
        same = alert is not None and alert.due_at == due_at
        state: _Progress = {
            "request_id": req.id, "due_at": due_at,
            "reminded_offset": alert.reminded_offset if same and alert else None,
            "overdue_at": alert.overdue_at if same and alert else None,
            "escalated_at": alert.escalated_at if same and alert else None,
            "updated_at": ctx.moment,
        }
        due_day = due_at.astimezone(VN_TZ).date()
        due_iso = _iso(due_at)
        assignee = assignees.get(req.assignee_id) if req.assignee_id else None
        unit_heads = heads.get(req.unit_id, [])
        if due_at > ctx.moment:
            offset = ctx.reminder_offset(due_day, rule.reminder_offsets) if rule else None
            if offset is not None and (state["reminded_offset"] is None or offset < state["reminded_offset"]):
                to = [assignee] if assignee else []
                if assignee is None or req.state == RequestState.AWAITING_APPROVAL.value:
                    to += unit_heads
                left = _working_days_left(ctx, due_day)
                for user in _distinct(to):
                    drafts.append(NoticeDraft(user, req, "due_soon", f"{ms.key}remind:{req.id}:d-{offset}:{due_iso}:{user.id}",
                                              ms.due_soon(req, left)))
                state["reminded_offset"] = offset
                stats.reminders += 1
        else:
            if state["overdue_at"] is None:
                for user in _distinct(([assignee] if assignee else []) + unit_heads):
                    drafts.append(NoticeDraft(user, req, "overdue", f"{ms.key}overdue:{req.id}:{due_iso}:{user.id}",
                                              ms.overdue(req)))
                state["overdue_at"] = ctx.moment
                stats.overdue += 1
            after = rule.escalate_after_working_days if rule else 0
            if state["escalated_at"] is None and ctx.escalation_due(due_day, after):
                late = _working_days_late(ctx, due_day)
                reached = [user for path, user in ctx.overseers if req.unit.path.startswith(path)]
                for user in _distinct(reached):
                    drafts.append(NoticeDraft(user, req, "escalated", f"{ms.key}escalate:{req.id}:{due_iso}:{user.id}",
                                              ms.escalation(req, late)))
                state["escalated_at"] = ctx.moment
                stats.escalations += 1
        if not same or alert is None or (state["reminded_offset"], state["overdue_at"], state["escalated_at"]) != (
                alert.reminded_offset, alert.overdue_at, alert.escalated_at):
            progress.append(state)
        if not main:
            continue  # the conclusion milestone is read by its own index, not by next_alert_at
        following = next_alert_moment(ctx, req.due_at, rule, state["reminded_offset"], state["overdue_at"],
                                      state["escalated_at"])
        if following is not None and following <= ctx.moment:
            # Cannot happen while next_alert_moment mirrors the rules above; never loop on a row.
            log.warning("request %s: next alert %s is not after %s", req.id, following, ctx.moment)
            following = ctx.moment + timedelta(minutes=1)
        schedule.append({"rid": req.id, "nxt": following})
    create_notices(drafts, ctx.moment)
    _upsert(ms.model, progress, "request_id", ("due_at", "reminded_offset", "overdue_at", "escalated_at",
                                                    "updated_at"))
    _reschedule(schedule)
    return stats


def _reschedule(schedule: list[dict[str, Any]]) -> None:
    """Store each request's next alert moment in one executemany, leaving ``updated_at`` alone.

    ``updated_at`` is what people and feeds see as "last changed"; the job's bookkeeping is no
    change to the request, so the column is set to itself (which also keeps its onupdate away).
    """
    if not schedule:
        return
    table = PressRequest.__table__
    db.session.execute(
        table.update().where(table.c.id == bindparam("rid"))
        .values(next_alert_at=bindparam("nxt", type_=UTCDateTime()), updated_at=table.c.updated_at),
        schedule,
    )


def _distinct(users: Iterable[Recipient | None]) -> list[Recipient]:
    seen: dict[int, Recipient] = {}
    for user in users:
        if user is not None and user.id not in seen:
            seen[user.id] = user
    return list(seen.values())


def _due_soon_message(req: PressRequest, left: int) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s sắp đến hạn trả lời: còn %(n)d ngày làm việc, hạn %(due)s. %(subject)s",
                     ref=req.reference, n=left, due=vn_datetime(req.due_at), subject=req.subject)


def _overdue_message(req: PressRequest) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s đã quá hạn trả lời (hạn %(due)s). %(subject)s",
                     ref=req.reference, due=vn_datetime(req.due_at), subject=req.subject)


def _escalation_message(req: PressRequest, late: int) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s của %(unit)s quá hạn trả lời từ %(due)s (%(n)d ngày làm việc), cần đôn đốc. %(subject)s",
                     ref=req.reference, unit=req.unit.name, due=vn_datetime(req.due_at), n=late, subject=req.subject)


def _conclusion_due_soon(req: PressRequest, left: int) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s: hạn gửi kết luận cho cơ quan báo chí còn %(n)d ngày làm việc, hạn %(due)s. %(subject)s",
                     ref=req.reference, n=left, due=vn_datetime(req.conclusion_due_at), subject=req.subject)


def _conclusion_overdue(req: PressRequest) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s: đã quá hạn gửi kết luận cho cơ quan báo chí (hạn %(due)s). %(subject)s",
                     ref=req.reference, due=vn_datetime(req.conclusion_due_at), subject=req.subject)


def _conclusion_escalation(req: PressRequest, late: int) -> Callable[[], str]:
    return lambda: _("Yêu cầu %(ref)s của %(unit)s quá hạn gửi kết luận cho cơ quan báo chí từ %(due)s (%(n)d ngày làm việc), cần đôn đốc. %(subject)s",
                     ref=req.reference, unit=req.unit.name, due=vn_datetime(req.conclusion_due_at), n=late,
                     subject=req.subject)


MAIN_MILESTONE = _Milestone(
    model=DeadlineAlert, key="", due_of=lambda req: req.due_at,
    rule_of=lambda ctx, req: ctx.rules.get(req.rule_id),
    due_soon=_due_soon_message, overdue=_overdue_message, escalation=_escalation_message,
)
CONCLUSION_MILESTONE = _Milestone(
    model=ConclusionAlert, key="conclusion-", due_of=lambda req: req.conclusion_due_at,
    rule_of=lambda ctx, req: ctx.conclusion_rules.get(req.type),
    due_soon=_conclusion_due_soon, overdue=_conclusion_overdue, escalation=_conclusion_escalation,
)


# --------------------------------------------------------------------------- digests


def digest_day(moment: datetime, calendar: WorkCalendar) -> date | None:
    """Return today's date if the daily digest is due (a working day, from 07:30), else None."""
    local = moment.astimezone(VN_TZ)
    if not calendar.is_working_day(local.date()):
        return None
    if local.time() < _clock(setting("NOTIFY_DIGEST_TIME", "07:30")):
        return None
    return local.date()


def digest_key(user_id: int, day: date) -> str:
    """Return the outbox dedupe key of one user's digest of one day."""
    return f"digest:{user_id}:{day.isoformat()}"


def _pending(moment: datetime) -> Any:
    return and_(Notification.emailed_at.is_(None), Notification.read_at.is_(None), Notification.created_at <= moment)


def digest_users_batch(moment: datetime, after_id: int, limit: int) -> list[Recipient]:
    """Return the next active users (by id) with notices neither e-mailed nor read.

    Driven by the partial index of waiting notices (``ix_notifications_unsent``): the work
    follows the notices still to send, not the users or every notice ever written.
    """
    waiting = select(Notification.user_id).where(_pending(moment), Notification.user_id > after_id)
    return [Recipient.of(facts) for facts in db.session.execute(
        select(*RECIPIENT_COLUMNS).where(User.id.in_(waiting), User.active.is_(True), User.id > after_id)
        .order_by(User.id).limit(limit)
    ).all()]


def send_digests(users: Sequence[Recipient], day: date, moment: datetime) -> int:
    """Queue one digest per user who has not had today's yet; return how many were queued.

    A placeholder outbox row is inserted first (ON CONFLICT DO NOTHING on the day's key): only
    the job that inserts it goes on, claims the user's waiting notices with one UPDATE, and
    fills in the mail, all in the same transaction.
    """
    if not users:
        return 0
    by_id = {u.id: u for u in users}
    rows = [{
        "dedupe_key": digest_key(u.id, day), "kind": "staff.digest", "to_address": u.email, "subject": "…",
        "body_text": "", "body_html": None, "locale": locale_of(u), "message_id": _message_id(),
        "status": "pending", "attempts": 0, "next_attempt_at": moment, "created_at": moment,
    } for u in users]
    won = _insert_ignoring_duplicates(OutboxMail, rows, "dedupe_key", (OutboxMail.id, OutboxMail.to_address,
                                                                        OutboxMail.dedupe_key))
    mail_of_user = {int(key.split(":")[1]): mail_id for mail_id, _to, key in won}
    if not mail_of_user:
        return 0
    db.session.execute(
        update(Notification)
        .where(Notification.user_id.in_(list(mail_of_user)), _pending(moment))
        .values(mail_id=case(mail_of_user, value=Notification.user_id), emailed_at=moment)
        .execution_options(synchronize_session=False)
    )
    mail_ids = list(mail_of_user.values())
    totals = dict(db.session.execute(
        select(Notification.mail_id, func.count(Notification.id))
        .where(Notification.mail_id.in_(mail_ids)).group_by(Notification.mail_id)
    ).all())
    cap = int(setting("NOTIFY_DIGEST_MAX_ITEMS", 100))
    rank = func.row_number().over(partition_by=Notification.mail_id,
                                  order_by=(Notification.created_at.desc(), Notification.id.desc())).label("rank")
    ranked = select(Notification.id, rank).where(Notification.mail_id.in_(mail_ids)).subquery()
    listed: dict[int, list[Notification]] = defaultdict(list)
    for notice in db.session.execute(
        select(Notification).join(ranked, ranked.c.id == Notification.id).where(ranked.c.rank <= cap)
        .options(selectinload(Notification.request).options(lazyload(PressRequest.journalist)))
    ).scalars():
        listed[notice.mail_id].append(notice)  # type: ignore[index]
    updates, empty = [], []
    for user_id, mail_id in mail_of_user.items():
        if not totals.get(mail_id):
            empty.append(mail_id)  # everything was read meanwhile: no mail
            continue
        user = by_id[user_id]
        with force_locale(locale_of(user)):
            mail = content.digest_mail(user, day, listed[mail_id], totals[mail_id])
        updates.append({"id": mail_id, "subject": mail.subject, "body_text": mail.text, "body_html": mail.html,
                        "locale": mail.locale})
    if updates:
        db.session.execute(update(OutboxMail), updates)
    if empty:
        db.session.execute(delete(OutboxMail).where(OutboxMail.id.in_(empty)))
    return len(updates)


def _message_id() -> str:
    """Return a Message-ID in the sender's own domain (taken from MAIL_DEFAULT_SENDER)."""
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return new_message_id(address.rpartition("@")[2] or None)



def outbox_health() -> dict[str, object]:
    """Return the outbox backlog for /healthz: due mails waiting, the oldest one's wait, failed mails."""
    moment = now()
    due, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMail.next_attempt_at))
        .where(OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at <= moment)
    ).one()
    failed = db.session.execute(
        select(func.count()).select_from(OutboxMail).where(OutboxMail.status == MailStatus.FAILED.value)
    ).scalar_one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    waited = int((moment - oldest).total_seconds()) if oldest is not None else 0
    backlog = waited > int(current_app.config.get("OUTBOX_BACKLOG_SECONDS") or 900)
    return {"status": "backlog" if backlog else "ok", "due": int(due), "oldest_due_seconds": waited,
            "failed": int(failed)}
