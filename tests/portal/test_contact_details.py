"""Issue 17, item 2: contact details belong to the request; anonymous forms never change staff records."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select

from spokes.audit.models import AuditEvent
from spokes.extensions import db
from spokes.press_requests import services as svc
from spokes.press_requests.models import Journalist, PressRequest
from spokes.publishing.services import question_of

from .helpers import form_data


def _requests() -> list[PressRequest]:
    return list(db.session.execute(select(PressRequest).order_by(PressRequest.id)).scalars())


def test_an_anonymous_ask_leaves_the_earlier_requests_details_and_consent(client, commune):
    first = client.post("/ask", data=form_data(commune["dhu"], consent=None))
    assert first.status_code == 200
    # An attacker reuses the name and e-mail with another phone, agency, card and consent.
    attack = form_data(commune["dhu"], phone="0900 666 666", agency="Báo Giả Mạo", card_number="99999/XX",
                       consent="y", subject="Một câu hỏi khác hẳn", questions="Câu hỏi khác để không bị coi là lặp.")
    assert client.post("/ask", data=attack).status_code == 200
    db.session.expire_all()
    earlier, later = _requests()
    assert earlier.journalist_id == later.journalist_id  # one journalist record, linked by e-mail + name
    assert (earlier.contact_phone, earlier.contact_agency, earlier.contact_card_number,
            earlier.consent_publish_name) == ("0912 345 678", "Báo Kiên Giang", "12345/BC", False)
    assert earlier.contact.phone == "0912 345 678" and earlier.contact.consent_publish_name is False
    assert question_of(earlier).journalist is None  # no consent given with this request: name not published
    assert question_of(later).journalist == "Nguyễn Thị Phóng Viên"
    # The record staff hold is unchanged by the anonymous form.
    journalist = db.session.get(Journalist, earlier.journalist_id)
    assert (journalist.phone, journalist.agency.name, journalist.press_card_number) == (
        "0912 345 678", "Báo Kiên Giang", "12345/BC")


def test_staff_page_shows_the_details_given_with_that_request(app, client, commune, login):
    client.post("/ask", data=form_data(commune["dhu"]))
    client.post("/ask", data=form_data(commune["dhu"], phone="0900 666 666", subject="Câu hỏi thứ hai",
                                       questions="Nội dung khác hẳn câu trước."))
    earlier, _later = _requests()
    staff = app.test_client()
    login(commune["chair"], target=staff)
    page = staff.get(f"/staff/requests/{earlier.id}").get_data(as_text=True)
    assert "0912 345 678" in page and "0900 666 666" not in page


def test_an_nfd_name_joins_the_nfc_one(client, commune):
    name = "Nguyễn Thị Phóng Viên"
    client.post("/ask", data=form_data(commune["dhu"], name=unicodedata.normalize("NFC", name)))
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    client.post("/ask", data=form_data(commune["dhu"], name="  " + nfd.replace(" ", "  ") + " ",
                                       email=" PV.Nguyen@BaoKG.vn ", subject="Câu hỏi thứ hai",
                                       questions="Nội dung khác hẳn câu trước."))
    assert db.session.execute(select(func.count()).select_from(Journalist)).scalar_one() == 1
    earlier, later = _requests()
    assert earlier.journalist_id == later.journalist_id
    assert later.contact_name == unicodedata.normalize("NFC", name)


def test_staff_change_of_held_details_is_explicit_and_audited(client, commune):
    client.post("/ask", data=form_data(commune["dhu"]))
    (req,) = _requests()
    chair = db.session.merge(commune["chair"])
    journalist = db.session.get(Journalist, req.journalist_id)
    svc.update_journalist(chair, journalist, svc.JournalistData(
        name=journalist.name, agency="Báo Nhân Dân", phone="0911 000 111", press_card_number="777/ND"))
    db.session.commit()
    db.session.expire_all()
    journalist = db.session.get(Journalist, req.journalist_id)
    assert (journalist.phone, journalist.agency.name, journalist.press_card_number) == (
        "0911 000 111", "Báo Nhân Dân", "777/ND")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "journalist.update")).scalar_one()
    assert event.actor_id == chair.id
    assert event.before["phone"] == "0912 345 678" and event.after["phone"] == "0911 000 111"
    # The request keeps what was given with it.
    assert db.session.get(PressRequest, req.id).contact_phone == "0912 345 678"


def test_staff_copy_a_requests_details_into_the_record_on_purpose(app, client, commune, login):
    client.post("/ask", data=form_data(commune["dhu"]))
    client.post("/ask", data=form_data(commune["dhu"], phone="0900 777 888", subject="Câu hỏi thứ hai",
                                       questions="Nội dung khác hẳn câu trước."))
    _earlier, later = _requests()
    db.session.commit()
    staff = app.test_client()
    login(commune["chair"], target=staff)
    page = staff.get(f"/staff/requests/{later.id}").get_data(as_text=True)
    assert "Cập nhật thông tin phóng viên đã lưu theo yêu cầu này" in page
    response = staff.post(f"/staff/requests/{later.id}/journalist")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Journalist, later.journalist_id).phone == "0900 777 888"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "journalist.update")).scalar_one()
    # Anonymous visitors cannot do it.
    assert app.test_client().post(f"/staff/requests/{later.id}/journalist").status_code == 302
