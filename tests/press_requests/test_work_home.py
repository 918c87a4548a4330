"""Issue 20: a request goes to the person who must act, and their home page says so.

Assignment follows the designation (a head by membership only where a unit publishes nobody,
flagged as a compliance gap); the staff home lists what waits for each person with counts;
lists say the time left in words; the queue's tabs keep the search.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.core.clock import VN_TZ
from spokes.extensions import db
from spokes.press_requests.labels import due_in_words
from spokes.units.models import Designation

from .helpers import count_queries

# A Thursday: Friday is a working day, then the weekend.
THURSDAY = datetime(2026, 3, 12, 9, 0, tzinfo=VN_TZ)


def _designate(user, unit, kind="designated", title="Phó Chủ tịch UBND xã Đông Hưng"):
    db.session.add(Designation(unit_id=unit.id, user_id=user.id, kind=kind, title=title, public_phone="0297 111 222",
                               public_email=user.email, document_number="42/QĐ-UBND",
                               document_date=datetime(2025, 1, 1).date(), valid_from=datetime(2025, 1, 2).date()))
    db.session.commit()


def _assign_events(req):
    return db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "request.assign", AuditEvent.object_type == "request", AuditEvent.object_id == req.id)).scalars().all()


def test_a_request_goes_to_the_designated_spokesperson_not_the_head(world, make_request, client_for, client):
    _designate(world["deputy"], world["dhu"])
    req = make_request(world["dhu"], subject="Tiến độ nạo vét kênh Thứ Mười Một")
    assert req.assignee_id == world["deputy"].id
    event = _assign_events(req)[0]
    assert "compliance_gap" not in event.after

    # It is on her home page, in the list of what waits for her, with the panel to act in.
    home = client_for(world["deputy"]).get("/staff/").get_data(as_text=True)
    mine = home.split('id="home-mine"')[1].split("</section>")[0]
    assert f"{req.reference}</a>" in mine
    assert f'/staff/requests/{req.id}#panel-draft"' in mine
    # …and not on the chair's own list.
    chair_home = client_for(world["chair"]).get("/staff/").get_data(as_text=True)
    assert req.reference not in chair_home.split('id="home-mine"')[1].split("</section>")[0]

    # The journalist's tracking page names her, with the title of her designation.
    page = client.get(f"/track/{req.tracking_token}", follow_redirects=True).get_data(as_text=True)
    assert "Trương Thị Mai</span> — Phó Chủ tịch UBND xã Đông Hưng" in page


def test_a_unit_that_publishes_nobody_falls_back_to_its_head_and_says_so(world, make_request, make_user,
                                                                         client_for):
    head = make_user("head", world["vhtt"], name="Trưởng phòng Văn hóa")
    req = make_request(world["vhtt"])
    assert req.assignee_id == head.id
    event = _assign_events(req)[0]
    assert event.after["compliance_gap"] is True
    assert "chưa công bố người phát ngôn" in event.after["reason"]
    # The request page says so, and shows the head the way to publish a spokesperson.
    page = client_for(head).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "chưa công bố người phát ngôn (Nghị định 09/2017/NĐ-CP)" in page
    assert f'href="/admin/units/{world["vhtt"].id}/designations"' in page


def test_a_head_who_is_the_published_speaker_is_no_gap(world, make_request, client_for):
    req = make_request(world["vk"])
    head = world["users"][("head", "other")]
    assert req.assignee_id == head.id
    assert "compliance_gap" not in _assign_events(req)[0].after
    assert "chưa công bố người phát ngôn" not in client_for(head).get(f"/staff/requests/{req.id}").get_data(as_text=True)


@pytest.mark.parametrize(("due", "words"), [
    (THURSDAY + timedelta(hours=5), "hạn hôm nay, 14:00"),
    (THURSDAY + timedelta(days=1), "còn 1 ngày làm việc"),
    (THURSDAY + timedelta(days=4), "còn 2 ngày làm việc"),  # Friday and Monday; the weekend does not count
    (THURSDAY - timedelta(hours=1), "quá hạn từ 08:00 hôm nay"),
    (THURSDAY - timedelta(days=3), "quá hạn 3 ngày"),
])
def test_time_left_is_said_in_words(app, due, words):
    with app.test_request_context("/"):
        assert due_in_words(SimpleNamespace(is_open=True, due_at=due), at=THURSDAY) == words


def test_a_closed_request_has_no_time_left_to_tell(app):
    with app.test_request_context("/"):
        assert due_in_words(SimpleNamespace(is_open=False, due_at=THURSDAY), at=THURSDAY) == ""


@pytest.mark.parametrize("who", ["chair", "deputy", "clerk", "office"])
def test_the_home_page_costs_a_fixed_number_of_queries(who, world, make_request, client_for):
    from spokes.units.models import Unit

    _designate(world["deputy"], world["dhu"])
    unit_id = world["dhu"].id
    client = client_for(world[who])
    client.get("/staff/")  # warm up: the login's own queries are not the page's

    def add(numbers):
        unit = db.session.get(Unit, unit_id)  # the count empties the session
        for i in numbers:
            make_request(unit, subject=f"Yêu cầu số {i}", journalist_email=f"pv{i}@baochi.vn",
                         agency=f"Báo số {i % 5}")

    add(range(3))
    few, _page = count_queries(client, "/staff/", from_scratch=True)
    add(range(3, 30))
    many, page = count_queries(client, "/staff/", from_scratch=True)
    assert few == many <= 15, (few, many)
    if who != "chair":  # the chair holds none of them (the deputy does): his count is his own work
        assert '<span class="count">30</span>' in page
    if who != "office":  # the district office sees only what is overdue, and nothing is
        assert page.count("Yêu cầu số") >= 20  # a full section: listed, not just counted


def test_the_home_counts_what_is_overdue_and_due_soon(world, make_request, client_for, frozen_clock):
    _designate(world["deputy"], world["dhu"])
    frozen_clock(THURSDAY - timedelta(days=40))
    make_request(world["dhu"], subject="Yêu cầu đã quá hạn")
    frozen_clock(THURSDAY)
    make_request(world["dhu"], subject="Yêu cầu mới hôm nay")
    page = client_for(world["deputy"]).get("/staff/").get_data(as_text=True)
    counts = re.findall(r'<span class="count[^"]*">(\d+)</span>', page)
    assert counts == ["2", "1", "0"], counts  # waiting, overdue, due soon (a 15-working-day request is not)
    assert "quá hạn" in page


def test_queue_tabs_keep_the_search_and_the_filters(world, client_for):
    page = client_for(world["chair"]).get("/staff/requests/?tab=mine&q=kênh&overdue=y&page=2").get_data(as_text=True)
    unit_tab = re.search(r'href="([^"]*tab=unit[^"]*)"', page).group(1)
    assert "q=k%C3%AAnh" in unit_tab and "overdue=y" in unit_tab and "page=" not in unit_tab
