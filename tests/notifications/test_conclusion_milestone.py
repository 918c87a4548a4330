"""The conclusion milestone (ND 237 Điều 18(2)) is reminded and escalated like any other deadline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from spokes.core import clock
from spokes.extensions import db
from spokes.notifications import jobs
from spokes.notifications.models import Notification
from spokes.press_requests import services as svc

from .conftest import vn


def _alerts_at(frozen_clock, moment):
    before = set(db.session.execute(select(Notification.id)).scalars())
    frozen_clock(moment)
    jobs.run_alerts(clock.now())
    from spokes.auth.models import User

    emails = dict(db.session.execute(select(User.id, User.email)).all())
    rows = db.session.execute(select(Notification).order_by(Notification.id)).scalars()
    return [(n.kind, emails[n.user_id], n.dedupe_key, n.message) for n in rows if n.id not in before]


def test_conclusion_reminders_overdue_and_escalation_until_it_is_sent(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 10, 6, 9, 0))
    req = make_request(commune.unit, actor=commune.clerk, type="forwarded_denunciation", channel="letter")
    # The acceptance notice goes out (the request is answered); the conclusion comes later.
    svc.save_draft(commune.head, req, svc.DraftData(body="Đơn vị đã thụ lý tố cáo."))
    svc.send_directly(commune.head, req)
    db.session.commit()
    frozen_clock(vn(2026, 10, 15, 16, 0))
    svc.record_conclusion(commune.head, req, svc.ConclusionData(date(2026, 10, 15), "15/KL-UBND", "Đúng một phần."))
    db.session.commit()
    due = "2026-10-22T16:59:59+00:00"  # Thu 22/10/2026 23:59:59 in Vietnam: 5 working days
    assert req.conclusion_due_at.isoformat() == due

    assert _alerts_at(frozen_clock, vn(2026, 10, 16, 9, 0)) == []
    [(kind, who, key, message)] = _alerts_at(frozen_clock, vn(2026, 10, 19, 7, 0))  # 3 working days before
    assert (kind, who, key) == ("due_soon", "sp@dhu.vn", f"conclusion-remind:{req.id}:d-3:{due}:{commune.spokesperson.id}")
    assert "hạn gửi kết luận cho cơ quan báo chí" in message and "22/10/2026 23:59" in message
    assert _alerts_at(frozen_clock, vn(2026, 10, 20, 9, 0)) == []
    assert [k for _kind, _who, k, _m in _alerts_at(frozen_clock, vn(2026, 10, 21, 7, 0))] == [
        f"conclusion-remind:{req.id}:d-1:{due}:{commune.spokesperson.id}"]
    overdue = _alerts_at(frozen_clock, vn(2026, 10, 23, 0, 5))
    assert sorted((k, w) for k, w, _key, _m in overdue) == [("overdue", "head@dhu.vn"), ("overdue", "sp@dhu.vn")]
    assert _alerts_at(frozen_clock, vn(2026, 10, 26, 12, 0)) == []  # Monday: the second working day still runs
    [(kind, who, key, message)] = _alerts_at(frozen_clock, vn(2026, 10, 27, 0, 5))
    assert (kind, who) == ("escalated", "vp@am.vn") and key.startswith("conclusion-escalate:")
    assert "quá hạn gửi kết luận" in message
    assert _alerts_at(frozen_clock, vn(2026, 10, 28, 9, 0)) == []

    frozen_clock(vn(2026, 10, 28, 10, 0))
    svc.mark_conclusion_sent(commune.head, req)
    db.session.commit()
    assert _alerts_at(frozen_clock, vn(2026, 11, 30, 9, 0)) == []


def test_a_request_without_a_recorded_conclusion_gets_no_conclusion_notice(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 10, 6, 9, 0))
    make_request(commune.unit, actor=commune.clerk, type="forwarded_complaint", channel="letter")
    notices = _alerts_at(frozen_clock, vn(2026, 10, 30, 9, 0))
    assert notices and not any(key.startswith("conclusion-") for _k, _w, key, _m in notices)
