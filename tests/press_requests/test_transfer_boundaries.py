"""After a transfer: what the unit the request left may still read, and the case authorisations
that unit gave, which end with the transfer."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from spokes.attachments.models import Attachment
from spokes.audit.models import AuditEvent
from spokes.core.clock import VN_TZ
from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.press_requests import services as svc
from spokes.press_requests.models import MessageKind, PressRequest
from spokes.units.models import Designation
from spokes.units.services import current_speakers, is_authorised_only

from .helpers import count_queries

START = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)  # a Monday


def _minutes(frozen_clock, n: int) -> None:
    frozen_clock(START + timedelta(minutes=n))


def _download(client, req, attachment) -> int:
    response = client.get(f"/staff/requests/{req.id}/attachments/{attachment.id}")
    response.get_data()
    response.close()  # a sent file keeps its handle open until the response is closed
    return response.status_code


@pytest.fixture()
def transferred(world, make_request, make_user, client_for, frozen_clock):
    """A request of Đông Hưng, with a note of the commune, transferred to the department, which
    then notes, drafts (with a file), submits and is returned: nothing has gone to the journalist."""
    _minutes(frozen_clock, 0)
    vhtt_head = make_user("head", world["vhtt"], designate="head", name="Võ Văn Tâm")
    vhtt_speaker = make_user("spokesperson", world["vhtt"], designate="designated", name="Phạm Thị Lan")
    req = make_request(world["dhu"], actor=world["clerk"], subject="Lễ hội Nghinh Ông 2026")
    chair = client_for(world["chair"])
    _minutes(frozen_clock, 5)
    assert chair.post(f"/staff/requests/{req.id}/note", data={"note-body": "Ghi chú của xã trước khi chuyển."}
                      ).status_code == 302
    _minutes(frozen_clock, 10)
    assert chair.post(f"/staff/requests/{req.id}/transfer", data={
        "transfer-to_unit": str(world["vhtt"].id), "transfer-reason": "Lễ hội do phòng Văn hóa tổ chức."}
    ).status_code == 302
    speaker, head = client_for(vhtt_speaker), client_for(vhtt_head)
    _minutes(frozen_clock, 20)
    assert speaker.post(f"/staff/requests/{req.id}/note", data={
        "note-body": "Nội bộ phòng: chờ ý kiến giám đốc về kinh phí."}).status_code == 302
    assert speaker.post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "written", "draft-body": "Dự thảo chưa duyệt: kinh phí 2 tỷ đồng.",
        "draft-attachments": [(io.BytesIO(b"%PDF-1.4\n"), "du-toan-noi-bo.pdf")]},
        content_type="multipart/form-data").status_code == 302
    assert speaker.post(f"/staff/requests/{req.id}/submit").status_code == 302
    _minutes(frozen_clock, 30)
    assert head.post(f"/staff/requests/{req.id}/return", data={
        "return-comment": "Bỏ con số kinh phí, chưa được phê duyệt."}).status_code == 302
    db.session.expire_all()
    attachment = db.session.execute(select(Attachment).where(Attachment.request_id == req.id)).scalar_one()
    return {"req": db.session.get(PressRequest, req.id), "speaker": vhtt_speaker, "head": vhtt_head,
            "attachment": attachment}


INTERNAL = ("Nội bộ phòng: chờ ý kiến giám đốc về kinh phí.", "Dự thảo chưa duyệt: kinh phí 2 tỷ đồng.",
            "du-toan-noi-bo.pdf", "Bỏ con số kinh phí, chưa được phê duyệt.")


def test_the_former_unit_follows_the_case_but_not_the_receiving_units_internal_work(world, transferred, client_for):
    req, att = transferred["req"], transferred["attachment"]
    for user in (world["clerk"], world["chair"], world["deputy"]):
        client = client_for(user)
        page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
        assert "Đơn vị bạn chỉ được xem" in page
        # The case: its state, its history, and what the commune itself wrote before the transfer.
        assert "Lễ hội Nghinh Ông 2026" in page and "Ghi chú của xã trước khi chuyển." in page
        timeline = page[page.index('id="timeline-title"'):]
        for label in ("Chuyển đơn vị", "Lễ hội do phòng Văn hóa tổ chức.", "Trả lại dự thảo"):
            assert label in timeline, label
        # Not the department's internal notes, its unapproved draft, the draft's file or the comment returning it.
        for text in INTERNAL:
            assert text not in page, text
        assert 'id="draft-title"' not in page
        assert _download(client, req, att) == 404


def test_the_receiving_unit_and_the_overseer_above_it_still_see_everything(world, transferred, client_for):
    req, att = transferred["req"], transferred["attachment"]
    for user in (transferred["speaker"], world["office"]):
        client = client_for(user)
        page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
        assert "Đơn vị bạn chỉ được xem" not in page
        for text in (*INTERNAL, "Ghi chú của xã trước khi chuyển."):
            assert text in page, (user.name, text)
        assert _download(client, req, att) == 200


def test_the_former_unit_reads_the_answer_once_it_went_to_the_journalist(world, transferred, client_for,
                                                                            frozen_clock):
    req = transferred["req"]
    speaker, head = client_for(transferred["speaker"]), client_for(transferred["head"])
    _minutes(frozen_clock, 40)
    assert speaker.post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "written", "draft-body": "Lễ hội diễn ra từ 10 đến 12/12/2026.",
        "draft-attachments": [(io.BytesIO(b"%PDF-1.4\n"), "chuong-trinh-le-hoi.pdf")]},
        content_type="multipart/form-data").status_code == 302
    assert speaker.post(f"/staff/requests/{req.id}/submit").status_code == 302
    assert head.post(f"/staff/requests/{req.id}/approve").status_code == 302
    sent = db.session.execute(select(Attachment).where(
        Attachment.request_id == req.id, Attachment.display_name == "chuong-trinh-le-hoi.pdf")).scalar_one()

    clerk = client_for(world["clerk"])
    page = clerk.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Nội dung đã gửi phóng viên" in page and "Lễ hội diễn ra từ 10 đến 12/12/2026." in page
    assert "chuong-trinh-le-hoi.pdf" in page
    assert _download(clerk, req, sent) == 200
    # The returned draft was redrafted and sent: its file went with the answer. The department's
    # notes and the comment that returned the draft stay internal.
    assert "du-toan-noi-bo.pdf" in page
    for text in (INTERNAL[0], INTERNAL[3]):
        assert text not in page, text


def test_the_former_units_page_costs_no_more_queries_with_more_notes(world, transferred, client_for, frozen_clock):
    req = transferred["req"]
    client = client_for(world["clerk"])
    url, ids = f"/staff/requests/{req.id}", (req.id, transferred["speaker"].id)
    client.get(url)  # warm up: the login's own queries are not the page's
    few, _page = count_queries(client, url, from_scratch=True)
    speaker = db.session.get(type(world["clerk"]), ids[1])
    req = db.session.get(PressRequest, ids[0])
    for i in range(6):
        _minutes(frozen_clock, 50 + i)
        svc.add_message(speaker, req, MessageKind.INTERNAL_NOTE, f"Ghi chú phòng {i}")
    db.session.commit()
    many, page = count_queries(client, url, from_scratch=True)
    assert many == few
    assert "Ghi chú phòng 0" not in page


def _authorise_deputy(world, req, client_for, *, number: str = "18/GUQ-UBND") -> Designation:
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/authorise", data={
        "authorise-user": str(world["deputy"].id), "authorise-title": "Phó Chủ tịch UBND xã",
        "authorise-document_number": number, "authorise-document_date": "23/11/2026",
        "authorise-valid_to": "04/12/2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return db.session.execute(select(Designation).where(Designation.document_number == number)).scalar_one()


def test_a_case_authorisation_ends_when_its_request_is_transferred(world, make_request, make_user, client_for,
                                                                     frozen_clock):
    _minutes(frozen_clock, 0)
    vhtt_head = make_user("head", world["vhtt"], designate="head", name="Võ Văn Tâm")
    req = make_request(world["dhu"], actor=world["clerk"], subject="Lễ hội Nghinh Ông 2026")
    other = make_request(world["dhu"], actor=world["clerk"], subject="Sạt lở bờ kênh")
    moved = _authorise_deputy(world, req, client_for)
    kept = _authorise_deputy(world, other, client_for, number="19/GUQ-UBND")
    assert is_authorised_only(world["deputy"], world["dhu"])
    _minutes(frozen_clock, 10)
    assert client_for(world["chair"]).post(f"/staff/requests/{req.id}/transfer", data={
        "transfer-to_unit": str(world["vhtt"].id), "transfer-reason": "Lễ hội do phòng Văn hóa tổ chức."}
    ).status_code == 302
    db.session.expire_all()

    moved, kept = db.session.get(Designation, moved.id), db.session.get(Designation, kept.id)
    assert moved.revoked_at is not None
    assert req.reference in moved.revoked_reason and world["vhtt"].name in moved.revoked_reason
    assert kept.revoked_at is None  # another case of the commune keeps its authorisation
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "designation.revoke", AuditEvent.object_id == moved.id)).scalar_one()
    assert event.actor_id == world["chair"].id and event.unit_id == world["dhu"].id
    assert event.after["request_id"] == req.id and event.after["cause"] == "request.transfer"
    # It leaves the public directory at once, and no longer counts as a speaker for the case.
    assert "18/GUQ-UBND" not in {s.document_number for s in current_speakers(world["dhu"])}
    assert "19/GUQ-UBND" in {s.document_number for s in current_speakers(world["dhu"])}
    req = db.session.get(PressRequest, req.id)
    with pytest.raises(DomainError):
        svc.reassign(vhtt_head, req, world["deputy"], "Giao cho người được ủy quyền trước đây.")
    db.session.rollback()


def test_the_receiving_units_reasons_for_reassigning_stay_with_it(world, transferred, client_for, frozen_clock):
    req = transferred["req"]
    _minutes(frozen_clock, 40)
    svc.reassign(transferred["head"], req, transferred["head"], "Chị Lan nghỉ phép tuần này.")
    db.session.commit()
    former = client_for(world["clerk"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Chị Lan nghỉ phép tuần này." not in former
    assert "Lễ hội do phòng Văn hóa tổ chức." in former  # the transfer's own reason stays
    receiving = client_for(transferred["speaker"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Chị Lan nghỉ phép tuần này." in receiving
