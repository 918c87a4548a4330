"""Statements without a request: emergency (24-hour deadline), periodic, press-conference notice and outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.publishing import services
from spokes.publishing.models import Publication

from .helpers import NOW, content_form, statement, text_of


def _post(staff, unit, kind, **fields):
    return staff.post("/staff/publications/new", data={**content_form(**fields), "unit_id": unit.id, "kind": kind})


def _latest() -> Publication:
    return db.session.execute(select(Publication).order_by(Publication.id.desc())).scalars().first()


def test_emergency_needs_the_event_time(world, client_for):
    response = _post(client_for(world["deputy"]), world["dhu"], "emergency")
    assert response.status_code == 400
    assert "Vui lòng nhập thời điểm xảy ra sự việc." in response.get_data(as_text=True)
    assert _latest() is None


def test_emergency_tracks_24_hours_from_the_event(world, client_for, client):
    staff = client_for(world["deputy"])
    # The event happened at 06:30 Vietnam time, 2.5 hours before now: on time.
    response = _post(staff, world["dhu"], "emergency", title="Sự cố chìm tàu cá ngoài khơi Đông Hưng",
                     event_at="2026-03-10T06:30")
    assert response.status_code == 302
    pub = _latest()
    assert pub.event_at == datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert pub.due_at == pub.event_at + timedelta(hours=24)
    page = text_of(client.get(f"/news/{pub.slug}").get_data(as_text=True))
    assert "Sự việc xảy ra lúc: 10/03/2026 06:30" in page
    assert "Hạn phát ngôn (24 giờ): 11/03/2026 06:30" in page and "Đúng hạn" in page
    assert services.warnings_for(pub) == []


def test_a_late_emergency_statement_is_flagged(world, client_for):
    response = _post(client_for(world["deputy"]), world["dhu"], "emergency", event_at="08/03/2026 07:00")
    assert response.status_code == 302
    pub = _latest()
    assert pub.published_at > pub.due_at
    warnings = services.warnings_for(pub)
    assert len(warnings) == 1 and "(trễ 26 giờ)" in warnings[0]


def test_emergency_event_cannot_be_in_the_future(world, client_for):
    response = _post(client_for(world["deputy"]), world["dhu"], "emergency", event_at="2026-03-11T06:30")
    assert response.status_code == 400
    assert "không thể ở tương lai" in response.get_data(as_text=True)


def test_a_bad_datetime_is_a_form_error(world, client_for):
    response = _post(client_for(world["deputy"]), world["dhu"], "emergency", event_at="hôm qua")
    assert response.status_code == 400
    assert "Ngày giờ không hợp lệ" in response.get_data(as_text=True)


def test_periodic_information(world, client_for, client):
    response = _post(client_for(world["chair"]), world["dhu"], "periodic", title="Thông tin định kỳ tháng 3/2026")
    assert response.status_code == 302
    pub = _latest()
    assert (pub.kind, pub.request_id, pub.unit_id) == ("periodic", None, world["dhu"].id)
    assert "Cung cấp thông tin định kỳ" in client.get(f"/news/{pub.slug}").get_data(as_text=True)


def test_statement_only_in_the_users_units(world, client_for):
    response = _post(client_for(world["deputy"]), world["vk"], "periodic")
    assert response.status_code == 400  # not among the choices offered to this user
    assert client_for(world["clerk"]).get("/staff/publications/new?kind=periodic").status_code == 403
    assert client_for(world["office"]).get("/staff/publications/new").status_code == 403
    with pytest.raises(DomainError) as refused:
        statement(world["deputy"], world["vk"])
    assert refused.value.status == 403


def test_notice_under_the_2025_law_warns_when_late(world, client_for, clock):
    clock(datetime(2026, 7, 10, 1, 0, tzinfo=UTC))  # 08:00, Friday 10/07/2026: the 2025 rulebook applies
    staff = client_for(world["chair"])
    response = _post(staff, world["dhu"], "press_conference_notice", title="Thông báo họp báo quý III",
                     conference_at="2026-07-10T15:00")
    assert response.status_code == 302  # warned, not blocked
    pub = _latest()
    warnings = services.warnings_for(pub)
    assert len(warnings) == 1 and "24 giờ" in warnings[0] and "7 giờ" in warnings[0]
    follow = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "ít nhất 24 giờ" in follow  # the flash on the next page
    assert "ít nhất 24 giờ" in staff.get("/staff/publications").get_data(as_text=True)


def test_notice_in_time_gives_no_warning_and_both_laws_require_24_hours(world, client_for, clock):
    clock(datetime(2026, 7, 10, 1, 0, tzinfo=UTC))
    staff = client_for(world["chair"])
    assert _post(staff, world["dhu"], "press_conference_notice", conference_at="2026-07-11T09:00").status_code == 302
    assert services.warnings_for(_latest()) == []
    clock(NOW)  # March 2026: Luật Báo chí 2016, Điều 41 already required 24 hours' notice
    assert _post(staff, world["dhu"], "press_conference_notice", conference_at="2026-03-12T15:00").status_code == 302
    assert services.warnings_for(_latest()) == []
    assert _post(staff, world["dhu"], "press_conference_notice", conference_at="2026-03-10T15:00").status_code == 302
    [warning] = services.warnings_for(_latest())
    assert "NĐ 09/2017 — Luật Báo chí 2016" in warning and "cơ quan quản lý nhà nước về báo chí" in warning


def test_notice_needs_a_future_conference_and_outcome_a_past_one(world, client_for):
    staff = client_for(world["chair"])
    assert _post(staff, world["dhu"], "press_conference_notice").status_code == 400
    response = _post(staff, world["dhu"], "press_conference_notice", conference_at="2026-03-09T15:00")
    assert response.status_code == 400 and "trước thời điểm họp báo" in response.get_data(as_text=True)
    response = _post(staff, world["dhu"], "press_conference_outcome", conference_at="2026-03-12T15:00")
    assert response.status_code == 400 and "sau khi buổi họp báo đã diễn ra" in response.get_data(as_text=True)
    assert _post(staff, world["dhu"], "press_conference_outcome", conference_at="2026-03-09T15:00").status_code == 302
    assert _latest().conference_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def test_unknown_kind_is_refused(world, client_for):
    assert _post(client_for(world["chair"]), world["dhu"], "answer").status_code == 400
    with pytest.raises(DomainError):
        statement(world["chair"], world["dhu"], kind="answer")
