"""Recurring duties: due on the staff home until a publication of that kind, then the next cycle."""

from __future__ import annotations

from datetime import date, datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from spokes.core.errors import NotAllowed
from spokes.extensions import db
from spokes.publishing import services
from spokes.publishing.models import RecurringDuty

from .helpers import statement


def _duty(world, **overrides) -> RecurringDuty:
    data = services.DutyData(label="Họp báo định kỳ hằng quý", publication_kind="press_conference_outcome",
                             every_months=3, next_due_on=date(2026, 3, 31), remind_days_before=30,
                             citation="Nghị định 09/2017/NĐ-CP, Điều 5")
    for key, value in overrides.items():
        setattr(data, key, value)
    duty = services.save_duty(world["chair"], world["dhu"], data)
    db.session.commit()
    return duty


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 31), 3, date(2026, 6, 30)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 11, 15), 3, date(2027, 2, 15)),
    (date(2026, 3, 31), -3, date(2025, 12, 31)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
])
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert services.add_months(day, months) == expected


def test_a_duty_is_due_within_its_reminder_window(world):
    duty = _duty(world)
    due = services.due_duties(world["deputy"], on=date(2026, 3, 10))
    assert [(d.duty.id, d.days_left, d.overdue) for d in due] == [(duty.id, 21, False)]
    assert services.due_duties(world["deputy"], on=date(2026, 2, 28)) == []  # 31 days before: not yet
    late = services.due_duties(world["chair"], on=date(2026, 4, 2))
    assert late[0].overdue and late[0].days_left == -2
    # Other units' staff and clerks never see it.
    assert services.due_duties(world["other_chair"], on=date(2026, 3, 10)) == []
    assert services.due_duties(world["clerk"], on=date(2026, 3, 10)) == []


def test_publishing_that_kind_starts_the_next_cycle(world):
    duty = _duty(world)
    statement(world["chair"], world["dhu"], kind="periodic")  # another kind: still due
    assert duty.next_due_on == date(2026, 3, 31)
    pub = statement(world["chair"], world["dhu"], kind="press_conference_outcome",
                    conference_at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    db.session.refresh(duty)
    assert duty.next_due_on == date(2026, 6, 30)
    assert duty.last_publication_id == pub.id and duty.last_fulfilled_at == pub.published_at
    assert services.due_duties(world["deputy"], on=date(2026, 3, 10)) == []


def test_a_publication_before_the_cycle_does_not_count(world):
    duty = _duty(world, next_due_on=date(2026, 9, 30))  # this cycle starts 30/06/2026
    statement(world["chair"], world["dhu"], kind="press_conference_outcome",
              conference_at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    db.session.refresh(duty)
    assert duty.next_due_on == date(2026, 9, 30)


def test_a_late_fulfilment_moves_past_missed_cycles(world):
    duty = _duty(world, next_due_on=date(2025, 9, 30))  # missed 30/09 and 31/12/2025
    statement(world["chair"], world["dhu"], kind="press_conference_outcome",
              conference_at=datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    db.session.refresh(duty)
    assert duty.next_due_on == date(2026, 3, 30)  # 30/09 + 3 months, twice → 30/03/2026, after 10/03


def test_only_the_head_manages_duties(world, client_for):
    with pytest.raises(NotAllowed):
        services.save_duty(world["deputy"], world["dhu"], services.DutyData(
            label="x", publication_kind="periodic", every_months=1, next_due_on=date(2026, 4, 1)))
    deputy = client_for(world["deputy"])
    assert deputy.get("/staff/duties").status_code == 200  # may look
    assert deputy.get("/staff/duties/new").status_code == 403
    duty = _duty(world)
    assert deputy.get(f"/staff/duties/{duty.id}/edit").status_code == 403
    assert client_for(world["other_chair"]).get(f"/staff/duties/{duty.id}/edit").status_code == 403
    assert client_for(world["clerk"]).get("/staff/duties").status_code == 403


def test_head_adds_and_edits_a_duty_through_the_screens(world, client_for):
    chair = client_for(world["chair"])
    form = chair.get("/staff/duties/new")
    assert form.status_code == 200 and "Chu kỳ (tháng)" in form.get_data(as_text=True)
    bad = chair.post("/staff/duties/new", data={"unit_id": world["dhu"].id, "label": "Họp báo quý",
                                                "publication_kind": "press_conference_outcome", "every_months": "0",
                                                "next_due_on": "31/03/2026", "remind_days_before": "14"})
    assert bad.status_code == 400 and "Chu kỳ từ 1 đến 24 tháng." in bad.get_data(as_text=True)
    response = chair.post("/staff/duties/new", data={
        "unit_id": world["dhu"].id, "label": "Họp báo quý", "publication_kind": "press_conference_outcome",
        "every_months": "3", "next_due_on": "31/03/2026", "remind_days_before": "30", "active": "y"})
    assert response.status_code == 302
    duty = db.session.execute(select(RecurringDuty)).scalar_one()
    assert (duty.every_months, duty.next_due_on, duty.active) == (3, date(2026, 3, 31), True)
    listing = chair.get("/staff/duties").get_data(as_text=True)
    assert "Họp báo quý" in listing and "31/03/2026" in listing and "Đến hạn" in listing
    page = chair.get(f"/staff/duties/{duty.id}/edit").get_data(as_text=True)
    assert 'value="Họp báo quý"' in page
    response = chair.post(f"/staff/duties/{duty.id}/edit", data={
        "unit_id": world["dhu"].id, "label": "Họp báo quý (sửa)", "publication_kind": "press_conference_outcome",
        "every_months": "6", "next_due_on": "2026-06-30", "remind_days_before": "14"})
    assert response.status_code == 302
    db.session.refresh(duty)
    assert (duty.label, duty.every_months, duty.next_due_on, duty.active) == (
        "Họp báo quý (sửa)", 6, date(2026, 6, 30), False)
    assert services.due_duties(world["chair"], on=date(2026, 6, 29)) == []  # paused
    assert timedelta(days=duty.remind_days_before) == timedelta(days=14)
