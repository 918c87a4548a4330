"""Daily digests: one e-mail per person per working day, grouped by kind and request."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from spokes.core import clock
from spokes.extensions import db
from spokes.notifications import jobs, services
from spokes.notifications.models import Notification, OutboxMail
from spokes.press_requests.models import PressRequest

from .conftest import vn


def _digests() -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMail).where(OutboxMail.kind == "staff.digest")
                                   .order_by(OutboxMail.id)).scalars())


def _digests_at(frozen_clock, moment) -> int:
    frozen_clock(moment)
    return jobs.run_digests(clock.now())


def _head_world(commune, make_request, frozen_clock):
    """Give the head notices of four kinds about three requests; silence everyone else."""
    frozen_clock(vn(2026, 12, 1, 6, 0))  # Tuesday, before the digest hour
    r1 = make_request(commune.unit, actor=commune.clerk, subject="Kênh Xẻo Nhàu")
    r2 = make_request(commune.unit, actor=commune.clerk, subject="Hộ nghèo 2026")
    r3 = make_request(commune.unit, actor=commune.clerk, subject="Đê biển")
    db.session.execute(update(PressRequest).where(PressRequest.id == r2.id).values(due_at=vn(2026, 12, 3, 23, 59, 59)))
    db.session.execute(update(Notification).where(Notification.user_id != commune.head.id)
                       .values(read_at=clock.now()))
    db.session.commit()
    head = commune.head
    services.notify(head, r1, "awaiting_approval", "Dự thảo yêu cầu 1 chờ duyệt.")
    services.notify(head, r3, "overdue", "Yêu cầu 3 quá hạn.")
    services.notify(head, r3, "overdue", "Yêu cầu 3 vẫn quá hạn.")
    db.session.commit()
    return r1, r2, r3


def test_a_digest_groups_notices_by_kind_then_request_and_marks_them_emailed(commune, make_request, frozen_clock):
    r1, r2, r3 = _head_world(commune, make_request, frozen_clock)

    assert _digests_at(frozen_clock, vn(2026, 12, 1, 7, 29)) == 0  # before 07:30
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 7, 30)) == 1

    [digest] = _digests()
    assert (digest.to_address, digest.dedupe_key) == ("head@dhu.vn", f"digest:{commune.head.id}:2026-12-01")
    assert digest.subject == "Spokes — Tổng hợp thông báo ngày 01/12/2026: 6 thông báo"
    text = digest.body_text
    # Most urgent kind first; inside a kind, one entry per request, the earliest due first.
    sections = [line for line in text.splitlines() if line.startswith("== ")]
    assert sections == ["== Quá hạn trả lời (1) ==", "== Dự thảo chờ duyệt (1) ==", "== Yêu cầu mới của đơn vị (3) =="]
    new_section = text.split("== Yêu cầu mới của đơn vị (3) ==")[1]
    assert new_section.index(r2.reference) < new_section.index(r1.reference) < new_section.index(r3.reference)
    overdue_section = text.split("== Quá hạn trả lời (1) ==")[1].split("==")[0]
    assert overdue_section.count(r3.reference) == 1
    assert "Yêu cầu 3 quá hạn." in overdue_section and "Yêu cầu 3 vẫn quá hạn." in overdue_section
    assert "/staff/preferences" in text and "/staff/preferences" in digest.body_html
    assert f"/staff/requests/{r3.id}" in digest.body_html
    head_notices = db.session.execute(select(Notification).where(Notification.user_id == commune.head.id)).scalars()
    assert {(n.mail_id, n.emailed_at) for n in head_notices} == {(digest.id, vn(2026, 12, 1, 7, 30))}


def test_one_digest_a_day_on_working_days_only(commune, make_request, frozen_clock):
    r1, _r2, _r3 = _head_world(commune, make_request, frozen_clock)
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 8, 0)) == 1
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 8, 5)) == 0

    frozen_clock(vn(2026, 12, 1, 11, 0))
    services.notify(commune.head, r1, "awaiting_approval", "Dự thảo mới chờ duyệt.")
    db.session.commit()
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 11, 5)) == 0  # today's digest already went
    assert _digests_at(frozen_clock, vn(2026, 12, 2, 7, 30)) == 1
    assert "Dự thảo mới chờ duyệt." in _digests()[-1].body_text

    frozen_clock(vn(2026, 12, 4, 18, 0))  # Friday evening
    services.notify(commune.head, r1, "returned", "Việc cuối tuần.")
    db.session.commit()
    assert _digests_at(frozen_clock, vn(2026, 12, 5, 8, 0)) == 0  # Saturday
    assert _digests_at(frozen_clock, vn(2026, 12, 6, 8, 0)) == 0  # Sunday
    assert _digests_at(frozen_clock, vn(2026, 12, 7, 7, 30)) == 1  # Monday
    assert [d.dedupe_key.rsplit(":", 1)[1] for d in _digests()] == ["2026-12-01", "2026-12-02", "2026-12-07"]


def test_read_notices_stay_out_and_an_all_read_day_sends_nothing(commune, make_request, frozen_clock):
    _head_world(commune, make_request, frozen_clock)
    db.session.execute(update(Notification).where(Notification.kind == "overdue").values(read_at=clock.now()))
    db.session.commit()
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 8, 0)) == 1
    assert "Quá hạn trả lời" not in _digests()[0].body_text

    db.session.execute(update(Notification).values(read_at=clock.now()))
    db.session.commit()
    assert _digests_at(frozen_clock, vn(2026, 12, 2, 8, 0)) == 0
    assert len(_digests()) == 1


def test_a_long_digest_lists_the_newest_and_says_how_many_more(app, commune, make_request, frozen_clock):
    app.config["NOTIFY_DIGEST_MAX_ITEMS"] = 2
    _head_world(commune, make_request, frozen_clock)
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 8, 0)) == 1
    digest = _digests()[0]
    assert "Còn 4 thông báo khác trong trung tâm thông báo." in digest.body_text
    assert digest.subject.endswith(": 6 thông báo")


def test_immediate_users_are_not_digested(commune, make_request, frozen_clock):
    commune.head.notify_mode = "immediate"
    db.session.commit()
    _head_world(commune, make_request, frozen_clock)
    assert _digests_at(frozen_clock, vn(2026, 12, 1, 8, 0)) == 0
    immediate = db.session.execute(select(OutboxMail).where(OutboxMail.to_address == "head@dhu.vn")).scalars().all()
    assert {m.kind for m in immediate} == {"staff.new_request", "staff.awaiting_approval", "staff.overdue"}


@pytest.mark.real_commits  # two runs in threads, each on its own connection
def test_two_digest_runs_at_once_send_one_digest(app, other_app, commune, make_request, frozen_clock):
    _head_world(commune, make_request, frozen_clock)
    frozen_clock(vn(2026, 12, 1, 8, 0))
    apps = [other_app(), other_app()]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def work(application) -> None:
        with application.app_context():
            barrier.wait()
            counts.append(jobs.run_digests(clock.now()))
            db.session.remove()

    threads = [threading.Thread(target=work, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(counts) == [0, 1]
    assert len(_digests()) == 1
