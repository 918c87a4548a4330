"""Reminders before the due date and escalation after it, in frozen time (weekends, Tết)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, func, select

from spokes.core import clock
from spokes.deadlines.calendar import WorkCalendar
from spokes.deadlines.services import rearm_alerts
from spokes.deadlines.engine import add_working_days
from spokes.extensions import db
from spokes.notifications import jobs
from spokes.notifications.models import DeadlineAlert, Notification
from spokes.notifications.services import AlertContext, RuleFacts, alert_context, due_batch, next_alert_moment
from spokes.press_requests import services as svc
from spokes.press_requests.models import PressRequest

from .conftest import VN, vn


def _request_due(make_request, commune, due: datetime, **extra):
    req = make_request(commune.unit, actor=commune.clerk, **extra)
    req.due_at = due  # through the ORM, as the services do: the change re-arms the job (next_alert_at)
    db.session.commit()
    return req


def _alerts_at(frozen_clock, moment: datetime) -> list[tuple[str, str, str]]:
    """Run the reminders at a moment; return the new (kind, recipient, dedupe key) notices."""
    before = set(db.session.execute(select(Notification.id)).scalars())
    frozen_clock(moment)
    jobs.run_alerts(clock.now())
    rows = db.session.execute(
        select(Notification).where(Notification.kind.in_(["due_soon", "overdue", "escalated"]))
        .order_by(Notification.id)).scalars()
    from spokes.auth.models import User

    emails = dict(db.session.execute(select(User.id, User.email)).all())
    return [(n.kind, emails[n.user_id], n.dedupe_key) for n in rows if n.id not in before]


def test_reminders_skip_the_weekend(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))  # Tuesday
    req = _request_due(make_request, commune, vn(2026, 12, 8, 23, 59, 59))  # next Tuesday
    due = "2026-12-08T16:59:59+00:00"

    assert _alerts_at(frozen_clock, vn(2026, 12, 2, 10, 0)) == []
    assert _alerts_at(frozen_clock, vn(2026, 12, 3, 6, 59)) == []  # reminders start at 07:00
    # Three working days before Tuesday is Thursday (Saturday and Sunday do not count).
    assert _alerts_at(frozen_clock, vn(2026, 12, 3, 7, 0)) == [
        ("due_soon", "sp@dhu.vn", f"remind:{req.id}:d-3:{due}:{commune.spokesperson.id}")]
    for day in (vn(2026, 12, 3, 15, 0), vn(2026, 12, 4, 9, 0), vn(2026, 12, 5, 9, 0), vn(2026, 12, 6, 9, 0),
                vn(2026, 12, 7, 6, 59)):
        assert _alerts_at(frozen_clock, day) == []
    assert _alerts_at(frozen_clock, vn(2026, 12, 7, 7, 5)) == [
        ("due_soon", "sp@dhu.vn", f"remind:{req.id}:d-1:{due}:{commune.spokesperson.id}")]
    assert _alerts_at(frozen_clock, vn(2026, 12, 8, 23, 0)) == []
    overdue = _alerts_at(frozen_clock, vn(2026, 12, 9, 0, 5))
    assert sorted((k, who) for k, who, _key in overdue) == [("overdue", "head@dhu.vn"), ("overdue", "sp@dhu.vn")]
    message = db.session.execute(select(Notification.message).where(Notification.kind == "due_soon")
                                 .order_by(Notification.id)).scalars().first()
    assert "còn 3 ngày làm việc" in message and "08/12/2026 23:59" in message and req.reference in message


def test_the_three_day_reminder_before_a_due_date_right_after_tet_2027_comes_before_tet(commune, make_request,
                                                                                      frozen_clock):
    # Tết Đinh Mùi: 04/02/2027 (29 Tết) to 10/02/2027 (mùng 5) are days off.
    frozen_clock(vn(2027, 2, 1, 8, 0))
    req = _request_due(make_request, commune, vn(2027, 2, 15, 23, 59, 59))  # Monday after Tết

    sent: dict[str, str] = {}
    day = datetime(2027, 2, 1, 8, 0, tzinfo=VN)
    while day <= datetime(2027, 2, 15, 8, 0, tzinfo=VN):
        for kind, _who, key in _alerts_at(frozen_clock, day):
            sent[key.split(":")[2]] = day.strftime("%d/%m/%Y")
            assert kind == "due_soon"
        day += timedelta(days=1)

    # Counting back over Tết: Fri 12/02, Thu 11/02, then Wed 03/02 — not Fri 12/02 as calendar days would say.
    assert sent == {"d-3": "03/02/2027", "d-1": "12/02/2027"}
    messages = db.session.execute(select(Notification.message).where(Notification.request_id == req.id,
                                                                      Notification.kind == "due_soon")
                                  .order_by(Notification.id)).scalars().all()
    assert "còn 3 ngày làm việc, hạn 15/02/2027 23:59" in messages[0]
    assert "còn 1 ngày làm việc" in messages[1]


def test_a_late_run_sends_only_the_nearest_reminder(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = _request_due(make_request, commune, vn(2026, 12, 8, 23, 59, 59))

    # The job did not run until Monday: only "1 day left" goes out, never a stale "3 days left".
    assert [k.split(":")[2] for _kind, _who, k in _alerts_at(frozen_clock, vn(2026, 12, 7, 9, 0))] == ["d-1"]
    assert db.session.get(DeadlineAlert, req.id).reminded_offset == 1


def test_overdue_goes_to_the_unit_at_once_and_to_the_overseers_above_after_two_working_days(
        commune, make_request, make_user, frozen_clock):
    elsewhere = make_user("overseer", commune.units["other_district"], email="vp@hondat.vn")
    province = make_user("overseer", commune.units["province"], email="stttt@kg.vn")
    frozen_clock(vn(2026, 12, 1, 9, 0))
    _request_due(make_request, commune, vn(2026, 12, 2, 23, 59, 59))  # Wednesday

    first = _alerts_at(frozen_clock, vn(2026, 12, 3, 0, 5))
    assert sorted((k, who) for k, who, _key in first) == [("overdue", "head@dhu.vn"), ("overdue", "sp@dhu.vn")]
    assert _alerts_at(frozen_clock, vn(2026, 12, 4, 12, 0)) == []  # Friday: the second working day still runs
    escalated = _alerts_at(frozen_clock, vn(2026, 12, 5, 0, 5))
    assert sorted(who for _k, who, _key in escalated) == ["stttt@kg.vn", "vp@am.vn"]
    assert elsewhere.email not in {who for _k, who, _key in escalated}
    assert province.email in {who for _k, who, _key in escalated}
    message = db.session.execute(select(Notification.message).where(Notification.kind == "escalated")).scalars().first()
    assert "UBND xã Đông Hưng" in message and "02/12/2026 23:59" in message and "2 ngày làm việc" in message
    assert _alerts_at(frozen_clock, vn(2026, 12, 7, 9, 0)) == []


def test_each_notice_is_sent_once_ever_even_when_progress_is_lost(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    _request_due(make_request, commune, vn(2026, 12, 2, 23, 59, 59))
    assert len(_alerts_at(frozen_clock, vn(2026, 12, 7, 9, 0))) == 3  # overdue ×2 and the escalation

    assert _alerts_at(frozen_clock, vn(2026, 12, 7, 9, 0)) == []
    db.session.execute(delete(DeadlineAlert))  # even without the progress rows, the unique keys hold
    rearm_alerts(PressRequest.id > 0)  # and the job is told to look at every request again
    db.session.commit()
    assert _alerts_at(frozen_clock, vn(2026, 12, 7, 9, 30)) == []
    assert db.session.execute(select(func.count()).select_from(DeadlineAlert)).scalar_one() == 1


def test_a_new_due_date_arms_the_reminders_again(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = _request_due(make_request, commune, vn(2026, 12, 2, 23, 59, 59))
    assert len(_alerts_at(frozen_clock, vn(2026, 12, 3, 9, 0))) == 2

    svc.extend(commune.head, db.session.get(PressRequest, req.id), 5, "Cần thêm thời gian thu thập số liệu.")
    db.session.commit()
    new_due = db.session.get(PressRequest, req.id).due_at.astimezone(VN)
    assert new_due.date() == datetime(2026, 12, 15).date()  # 5 + 5 working days from 01/12

    assert _alerts_at(frozen_clock, vn(2026, 12, 9, 9, 0)) == []
    again = _alerts_at(frozen_clock, vn(2026, 12, 10, 9, 0))
    assert [(k, who) for k, who, _key in again] == [("due_soon", "sp@dhu.vn")]
    assert "2026-12-15T16:59:59+00:00" in again[0][2]


def test_a_draft_waiting_for_approval_reminds_the_head_too(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = _request_due(make_request, commune, vn(2026, 12, 8, 23, 59, 59))
    svc.save_draft(commune.spokesperson, req, svc.DraftData(body="Dự thảo."))
    svc.submit_draft(commune.spokesperson, req)
    db.session.commit()

    reminded = _alerts_at(frozen_clock, vn(2026, 12, 7, 8, 0))
    assert sorted(who for _k, who, _key in reminded) == ["head@dhu.vn", "sp@dhu.vn"]


def test_one_run_processes_every_due_request_in_batches_without_n_plus_one(app, commune, make_request, frozen_clock):
    app.config["NOTIFY_BATCH_SIZE"] = 5
    frozen_clock(vn(2026, 12, 1, 9, 0))
    for i in range(23):
        _request_due(make_request, commune, vn(2026, 12, 2, 23, 59, 59), subject=f"Yêu cầu {i}")

    frozen_clock(vn(2026, 12, 3, 9, 0))
    stats = jobs.run_alerts(clock.now())

    assert (stats.overdue, stats.requests) == (23, 23)
    assert db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "overdue")).scalar_one() == 46


def _statements(run) -> int:
    count = 0

    def counter(*_args, **_kwargs) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_the_number_of_queries_does_not_grow_with_the_requests(app, commune, make_request, frozen_clock):
    app.config["NOTIFY_BATCH_SIZE"] = 100
    counts = []
    for n, day in ((3, 3), (30, 10)):
        frozen_clock(vn(2026, 12, day - 2, 9, 0))
        for i in range(n):
            _request_due(make_request, commune, vn(2026, 12, day - 1, 23, 59, 59), subject=f"Yêu cầu {i}")
        frozen_clock(vn(2026, 12, day, 9, 0))
        counts.append(_statements(lambda: jobs.run_alerts(clock.now())))
    assert counts[0] == counts[1], counts


# ----------------------------------------------------------------------------- the next alert moment is exact

CALENDAR = WorkCalendar()
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
HOURS = st.integers(0, 23)


def _ctx(moment: datetime, rule: RuleFacts) -> AlertContext:
    local = moment.astimezone(VN)
    reminder_day = local.date() if local.time() >= time(7, 0) else local.date() - timedelta(days=1)
    return AlertContext(moment=moment, today=local.date(), reminder_day=reminder_day, calendar=CALENDAR,
                        rules={1: rule}, overseers=[], reminder_time=time(7, 0))


@settings(max_examples=400, deadline=None)
@given(day=DAYS, hour=HOURS, due=DAYS, offsets=st.sets(st.integers(0, 6), min_size=1, max_size=4),
       after=st.integers(0, 4), reminded=st.one_of(st.none(), st.integers(0, 6)), overdue_sent=st.booleans())
def test_the_next_alert_moment_is_never_after_something_becomes_due(day, hour, due, offsets, after, reminded,
                                                                     overdue_sent):
    """At any moment, the job has something to do for a request iff its next alert moment has come."""
    rule = RuleFacts(tuple(sorted(offsets, reverse=True)), after)
    moment = datetime.combine(day, time(hour, 30), tzinfo=VN).astimezone(UTC)
    due_at = datetime.combine(due, time(23, 59, 59), tzinfo=VN).astimezone(UTC)
    ctx = _ctx(moment, rule)
    overdue_at = moment if overdue_sent and due_at <= moment else None
    nxt = next_alert_moment(ctx, due_at, rule, reminded, overdue_at, None)
    if due_at > moment:
        offset = ctx.reminder_offset(due, rule.reminder_offsets)
        reminder_due = offset is not None and (reminded is None or offset < reminded)
        assert (nxt is not None and nxt <= moment) == reminder_due
    else:
        something_due = overdue_at is None or ctx.escalation_due(due, after)
        assert nxt is not None and (nxt <= moment) == something_due


def test_a_tick_reads_requests_through_the_partial_index_of_next_alerts(app, commune, make_request, frozen_clock):
    if db.engine.dialect.name != "sqlite":
        return  # the plan of a tiny PostgreSQL table is a sequential scan; the bench measures it at size
    frozen_clock(vn(2026, 12, 1, 9, 0))
    _request_due(make_request, commune, vn(2026, 12, 8, 23, 59, 59))
    ctx = alert_context(clock.now(), CALENDAR)
    captured: list[tuple[str, tuple]] = []

    def grab(_conn, _cursor, statement, parameters, *_args) -> None:
        if "next_alert_at <=" in statement:
            captured.append((statement, tuple(parameters)))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        due_batch(ctx, 10)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert len(captured) == 1
    raw = db.session.connection().connection.driver_connection
    plan = " ".join(str(row) for row in raw.execute("EXPLAIN QUERY PLAN " + captured[0][0],
                                                    captured[0][1]).fetchall())
    assert "ix_press_requests_next_alert" in plan, plan


def test_after_a_tick_nothing_is_left_due_and_the_next_tick_reads_no_request(app, commune, make_request,
                                                                             frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    for i, day in enumerate((2, 3, 8, 15)):
        _request_due(make_request, commune, vn(2026, 12, day, 23, 59, 59), subject=f"Yêu cầu {i}")
    frozen_clock(vn(2026, 12, 4, 9, 0))
    first = jobs.run_alerts(clock.now())
    assert first.requests == 4
    assert db.session.execute(select(func.count()).select_from(PressRequest)
                              .where(PressRequest.next_alert_at <= clock.now())).scalar_one() == 0
    frozen_clock(vn(2026, 12, 4, 9, 1))
    assert jobs.run_alerts(clock.now()).requests == 0


def test_a_closed_request_leaves_the_job_for_good(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = _request_due(make_request, commune, vn(2026, 12, 8, 23, 59, 59))
    assert req.next_alert_at is not None
    svc.withdraw(commune.head, db.session.get(PressRequest, req.id), "Nhà báo rút yêu cầu.")
    db.session.commit()
    closed = db.session.get(PressRequest, req.id)
    assert (closed.state, closed.next_alert_at) == ("withdrawn", None)
    assert _alerts_at(frozen_clock, vn(2026, 12, 10, 9, 0)) == []


def test_ticking_every_half_hour_sends_each_alert_once_and_at_most_one_tick_late(app, commune, make_request,
                                                                                 frozen_clock):
    """Three weeks of ticks, weekends included: every notice exactly once, never more than a tick late."""
    step = timedelta(minutes=30)
    start = vn(2026, 11, 27, 8, 10)  # a Friday
    frozen_clock(start)
    dues = [vn(2026, 12, d, 23, 59, 59) for d in (2, 3, 4, 7, 9, 11)] + [vn(2026, 12, 8, 11, 30)]
    requests = [_request_due(make_request, commune, due, subject=f"Yêu cầu {i}") for i, due in enumerate(dues)]
    facts = {r.id: RuleFacts(tuple(r.rule.reminder_offsets or ()), r.rule.escalate_after_working_days)
             for r in requests}
    moment = start
    while moment <= vn(2026, 12, 18, 9, 0):
        frozen_clock(moment)
        jobs.run_alerts(clock.now())
        moment += step

    notices = db.session.execute(select(Notification).where(
        Notification.request_id.in_([r.id for r in requests]),
        Notification.kind.in_(["due_soon", "overdue", "escalated"]))).scalars().all()
    seen: dict[tuple[int, str, int], int] = {}
    for n in notices:
        part = n.dedupe_key.split(":")
        what = part[2] if n.kind == "due_soon" else n.kind
        seen[(n.request_id, what, n.user_id)] = seen.get((n.request_id, what, n.user_id), 0) + 1
        req = db.session.get(PressRequest, n.request_id)
        due_day = req.due_at.astimezone(VN).date()
        rule = facts[req.id]
        if n.kind == "due_soon":
            expected = datetime.combine(add_working_days(due_day, -int(what[2:]), CALENDAR), time(7, 0), tzinfo=VN)
        elif n.kind == "overdue":
            expected = req.due_at
        else:
            expected = datetime.combine(add_working_days(due_day, rule.escalate_after_working_days, CALENDAR)
                                        + timedelta(days=1), time(0, 0), tzinfo=VN)
        expected = max(expected, start)
        assert timedelta(0) <= n.created_at - expected < step, (n.dedupe_key, n.created_at, expected)
    assert set(seen.values()) == {1}
    for req in requests:
        kinds = {what for (rid, what, _u) in seen if rid == req.id}
        # only the nearest of the reminders already due at creation goes out (see above)
        moments = {k: datetime.combine(add_working_days(req.due_at.astimezone(VN).date(), -k, CALENDAR),
                                       time(7, 0), tzinfo=VN) for k in facts[req.id].reminder_offsets}
        late = [k for k, at in moments.items() if at <= start]  # already due when the request came in:
        wanted = {f"d-{k}" for k, at in moments.items() if at > start} | ({f"d-{min(late)}"} if late else set())
        assert kinds == wanted | {"overdue", "escalated"}, (req.id, kinds)


def test_a_calendar_change_makes_the_job_look_again_at_the_open_requests(commune, make_request, frozen_clock):
    from spokes.deadlines.services import recompute_open_deadlines

    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = _request_due(make_request, commune, vn(2026, 12, 15, 23, 59, 59))
    _alerts_at(frozen_clock, vn(2026, 12, 1, 9, 5))
    waiting = db.session.get(PressRequest, req.id).next_alert_at
    assert waiting is not None and waiting > clock.now()  # the three-day reminder, days ahead
    frozen_clock(vn(2026, 12, 1, 10, 0))
    recompute_open_deadlines(None, "Thêm ngày nghỉ bù.")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).next_alert_at == clock.now()
