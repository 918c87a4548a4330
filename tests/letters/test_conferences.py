"""Press conferences through the app: the notice to the regulator, its sending against 24 h, a refusal."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.conferences import services
from spokes.conferences.models import PressConference
from spokes.core.clock import VN_TZ
from spokes.extensions import db
from spokes.letters.layout import docx_text
from spokes.letters.models import Letter

# The letters' clock: 03/12/2026 09:00 (tests/letters/conftest.py).


@pytest.fixture()
def regulator(world: dict[str, Any], make_unit: Any) -> Any:
    """The province's press regulator, a department beside the district."""
    return make_unit("KG-VHTTDL", "Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang", parent=world["province"],
                     kind="department")


def _form(**kw: str) -> dict[str, str]:
    data = {"unit": "AM-DHU", "title": "Kết quả nạo vét kênh Thứ Mười Một", "content": "Tiến độ và kinh phí.",
            "starts_at": "2026-12-04T15:00", "place": "Hội trường UBND xã Đông Hưng", "chair_name": "Nguyễn Văn Hải",
            "chair_title": "Chủ tịch UBND xã Đông Hưng", "invited_outlets": "Báo An Giang\nBáo Nhân Dân",
            "regulator_name": "Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang"}
    data.update(kw)
    return data


def _plan(client: Any, **kw: str) -> PressConference:
    response = client.post("/staff/conferences/new", data=_form(**kw))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.execute(select(PressConference).order_by(PressConference.id.desc())).scalars().first()


def test_regulator_is_the_provinces_culture_department(world, regulator, client_for):
    assert services.regulator_for(world["dhu"]) == (regulator, regulator.name)
    page = client_for(world["deputy"]).get("/staff/conferences/new").get_data(as_text=True)
    assert "Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang" in page


def test_without_a_regulator_unit_the_notice_goes_to_the_provincial_committee(world):
    assert services.regulator_for(world["dhu"])[1] == "Ủy ban nhân dân tỉnh Kiên Giang"


def test_notice_issued_sent_on_time_and_audited(world, regulator, client_for):
    conference = _plan(client_for(world["deputy"]))  # the spokesperson plans
    assert conference.regulator_unit_id == regulator.id
    chair = client_for(world["chair"])
    page = chair.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    assert "Chưa ban hành" in page and "04/12/2026 15:00" in page and "03/12/2026 15:00" in page
    form = {"signer": str(world["chair"].id), "position": "Chủ tịch",
            "summary": "V/v thông báo tổ chức họp báo về kết quả nạo vét kênh",
            "recipient": regulator.name, "copies_to": "Như trên\nLưu: VT", "issue": "1"}
    assert chair.post(f"/staff/conferences/{conference.id}", data=form).status_code == 302
    letter = db.session.execute(select(Letter).where(Letter.conference_id == conference.id)).scalar_one()
    assert (letter.kind, letter.number_and_symbol, letter.request_id) == ("conference", "01/UBND-VP", None)
    text = docx_text(letter.docx)
    for expected in ("Số: 01/UBND-VP", "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang",
                     "2. Thời gian: 15 giờ 00, ngày 04/12/2026", "3. Địa điểm: Hội trường UBND xã Đông Hưng",
                     "4. Người chủ trì họp báo: Nguyễn Văn Hải", "Báo An Giang; Báo Nhân Dân", "CỘNG HÒA XÃ HỘI"):
        assert expected in text, expected
    # The spokesperson records the sending: 30 hours ahead, on time.
    response = client_for(world["deputy"]).post(f"/staff/conferences/{conference.id}/sent",
                                                data={"sent_at": "2026-12-03T09:00", "via": "thư điện tử"},
                                                follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "trước giờ họp báo 1 ngày 6 giờ" in body and "ít hơn 24" not in body
    db.session.expire_all()
    assert db.session.get(PressConference, conference.id).notice_sent_at == datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ)
    actions = list(db.session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "conference")
                                      .order_by(AuditEvent.id)).scalars())
    assert actions == ["conference.create", "conference.notice_issued", "conference.notice_sent"]
    listing = client_for(world["clerk"]).get("/staff/conferences").get_data(as_text=True)
    assert "Đã gửi" in listing and "01/UBND-VP" in listing


def test_a_late_notice_warns_staff(world, regulator, client_for):
    conference = _plan(client_for(world["deputy"]), starts_at="2026-12-04T08:00")  # 24 h before: 03/12 08:00
    chair = client_for(world["chair"])
    page = chair.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    assert "Đã quá thời điểm gửi thông báo" in page  # not even issued, and already too late
    services.issue_notice(world["chair"], conference, services.default_choices(conference, world["chair"]))
    db.session.commit()
    body = chair.post(f"/staff/conferences/{conference.id}/sent", data={"sent_at": "2026-12-03T09:00"},
                      follow_redirects=True).get_data(as_text=True)
    assert "chỉ trước giờ họp báo 23 giờ" in body and "ít hơn 24 giờ" in body
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "conference.notice_sent")).scalar_one()
    assert event.after["late"] is True and event.after["hours_required"] == 24


def test_a_refusal_is_recorded_with_its_document(world, regulator, client_for):
    conference = _plan(client_for(world["deputy"]), starts_at="2026-12-04T15:00")
    services.issue_notice(world["chair"], conference, services.default_choices(conference, world["chair"]))
    db.session.commit()
    deputy = client_for(world["deputy"])
    assert deputy.post(f"/staff/conferences/{conference.id}/refusal",
                       data={"refused_at": "2026-12-03T08:30", "document": ""}).status_code == 400
    response = deputy.post(f"/staff/conferences/{conference.id}/refusal",
                           data={"refused_at": "2026-12-03T08:30", "document": "15/SVHTTDL-QLBC ngày 03/12/2026",
                                 "reason": "Nội dung chưa có kết luận của cơ quan có thẩm quyền."})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(PressConference, conference.id)
    assert stored.refusal_document == "15/SVHTTDL-QLBC ngày 03/12/2026"
    st = services.standing(stored, services.notice_letter(stored))
    assert st.state == "refused" and st.refusal_in_time is True  # 30 h 30 min ahead
    page = deputy.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    assert "Không được đồng ý" in page and "ít nhất 12 giờ" in page
    # No further notice once refused; a second refusal is refused.
    with pytest.raises(Exception):
        services.issue_notice(world["chair"], stored, services.default_choices(stored, world["chair"]))
    db.session.rollback()
    assert deputy.post(f"/staff/conferences/{conference.id}/refusal",
                       data={"refused_at": "2026-12-03T08:30", "document": "16/X"}).status_code == 409


def test_who_may_do_what(world, regulator, client_for):
    clerk = client_for(world["clerk"])
    assert clerk.get("/staff/conferences/new").status_code == 403
    assert clerk.post("/staff/conferences/new", data=_form()).status_code == 403
    conference = _plan(client_for(world["deputy"]))
    assert clerk.get(f"/staff/conferences/{conference.id}").status_code == 200  # the unit's staff see it
    assert clerk.post(f"/staff/conferences/{conference.id}/sent", data={"sent_at": "2026-12-03T09:00"}).status_code == 403
    deputy = client_for(world["deputy"])
    assert deputy.post(f"/staff/conferences/{conference.id}", data={"issue": "1"}).status_code == 403
    other = client_for(world["users"][("head", "other")])
    assert other.get(f"/staff/conferences/{conference.id}").status_code == 404
    assert other.post(f"/staff/conferences/{conference.id}/refusal", data={}).status_code == 404
    # A conference in the past, or sent before its issue, is refused with a message, never a 500.
    assert deputy.post("/staff/conferences/new", data=_form(starts_at="2026-12-01T08:00")).status_code == 400
    assert deputy.post(f"/staff/conferences/{conference.id}/sent", data={"sent_at": "2026-12-03T09:00"}).status_code == 409


def test_the_list_costs_the_same_for_one_conference_or_many(world, regulator, client_for):
    from tests.press_requests.helpers import count_queries

    from spokes.auth.models import User

    deputy, chair_id = client_for(world["deputy"]), world["chair"].id
    _plan(deputy)
    one, _page = count_queries(deputy, "/staff/conferences", from_scratch=True)
    for day in range(5, 10):
        conference = _plan(deputy, starts_at=f"2026-12-{day:02d}T09:00")
        chair = db.session.get(User, chair_id)
        services.issue_notice(chair, conference, services.default_choices(conference, chair))
        db.session.commit()
    many, page = count_queries(deputy, "/staff/conferences", from_scratch=True)
    assert many == one, (one, many)
    assert page.count("Đã ban hành, chưa ghi nhận gửi") == 5


def test_staff_are_reminded_once_when_the_notice_is_late(world, regulator, client_for):
    from spokes.notifications.models import Notification

    conference = _plan(client_for(world["deputy"]), starts_at="2026-12-04T15:00")  # send by 03/12 15:00
    assert services.remind_late_notices(datetime(2026, 12, 3, 14, 59, tzinfo=VN_TZ)) == 0
    late = datetime(2026, 12, 3, 15, 1, tzinfo=VN_TZ)
    assert services.remind_late_notices(late) == 2  # the head and the spokesperson who planned it
    db.session.commit()
    assert services.remind_late_notices(late) == 0
    notices = db.session.execute(select(Notification).where(Notification.kind == "conference_notice_late")).scalars().all()
    assert {n.user_id for n in notices} == {world["chair"].id, world["deputy"].id}
    assert all(n.link == f"/staff/conferences/{conference.id}" for n in notices)
    # Once sent (even late), or after the conference, nobody is reminded.
    services.issue_notice(world["chair"], conference, services.default_choices(conference, world["chair"]))
    services.record_sent(world["chair"], conference, sent_at=datetime(2026, 12, 3, 9, 0, tzinfo=VN_TZ), via="")
    db.session.commit()
    assert services.remind_late_notices(datetime(2026, 12, 4, 9, 0, tzinfo=VN_TZ)) == 0


def test_the_notice_form_sent_twice_takes_one_register_number(world, regulator, client_for):
    conference = _plan(client_for(world["deputy"]))
    chair = client_for(world["chair"])
    page = chair.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {"form_key": key, "signer": str(world["chair"].id), "position": "Chủ tịch",
            "summary": "V/v thông báo tổ chức họp báo", "recipient": regulator.name,
            "copies_to": "Như trên\nLưu: VT", "issue": "1"}
    first = chair.post(f"/staff/conferences/{conference.id}", data=form)
    again = chair.post(f"/staff/conferences/{conference.id}", data=form)
    assert (first.status_code, again.status_code) == (302, 303)
    letters = list(db.session.execute(select(Letter).where(Letter.conference_id == conference.id)).scalars())
    assert [x.number_and_symbol for x in letters] == ["01/UBND-VP"]
    shown = chair.get(again.headers["Location"]).get_data(as_text=True)
    assert "Biểu mẫu này đã được gửi; văn bản số 01/UBND-VP đã được ban hành." in shown
