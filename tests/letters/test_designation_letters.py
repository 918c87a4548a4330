"""Designation letters through the app: the decision numbered from the register, the announcement, an authorisation."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.extensions import db
from spokes.letters import services
from spokes.letters.layout import docx_text
from spokes.letters.models import Letter, LetterKind
from spokes.units.models import Designation


def _designation(world: dict[str, Any], **kw: Any) -> Designation:
    values: dict[str, Any] = dict(unit_id=world["dhu"].id, user_id=world["deputy"].id, kind="designated",
                                  title="Phó Chủ tịch UBND xã Đông Hưng", public_phone="0297 3850 111",
                                  public_email="deputy@dhu.vn", document_number="", document_date=date(2026, 12, 3),
                                  valid_from=date(2026, 12, 3))
    values.update(kw)
    designation = Designation(**values)
    db.session.add(designation)
    db.session.commit()
    return designation


def test_head_issues_the_decision_and_the_designation_takes_its_number(world, client_for):
    world["chair"].title = "Chủ tịch UBND xã Đông Hưng"
    db.session.commit()
    designation = _designation(world)
    chair = client_for(world["chair"])
    page = chair.get(f"/staff/letters/designation/{designation.id}").get_data(as_text=True)
    assert "Quyết định giao nhiệm vụ phát ngôn" in page and "Thông báo người phát ngôn" in page
    form = {"kind": "designation", "signer": str(world["chair"].id), "position": "Chủ tịch",
            "summary": "Về việc giao nhiệm vụ phát ngôn và cung cấp thông tin cho báo chí",
            "copies_to": "Như Điều 3\nLưu: VT", "issue": "1"}
    assert chair.post(f"/staff/letters/designation/{designation.id}", data=form).status_code == 302
    db.session.expire_all()
    decision = db.session.execute(select(Letter).where(Letter.designation_id == designation.id)).scalar_one()
    assert decision.number_and_symbol == "01/QĐ-UBND" and decision.kind == "designation"
    stored = db.session.get(Designation, designation.id)
    assert (stored.document_number, stored.document_date) == ("01/QĐ-UBND", date(2026, 12, 3))
    text = docx_text(decision.docx)
    for expected in ("Số: 01/QĐ-UBND", "QUYẾT ĐỊNH", "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ ĐÔNG HƯNG", "QUYẾT ĐỊNH:",
                     "Điều 1. Giao nhiệm vụ phát ngôn", "đồng chí Trương Thị Mai", "Như Điều 3;"):
        assert expected in text, expected
    assert "TM. ỦY BAN NHÂN DÂN" not in text  # the chair decides in person
    # The announcement cites the decision's number; both take numbers from the same register.
    announcement = services.issue_for_designation(world["chair"], stored, services.default_designation_choices(
        stored, LetterKind.ANNOUNCEMENT, world["chair"]))
    db.session.commit()
    assert announcement.number_and_symbol == "02/TB-UBND"
    assert "- Văn bản: số 01/QĐ-UBND ngày 03/12/2026." in docx_text(announcement.docx)
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "designation.letter_issued")
                               .order_by(AuditEvent.id)).scalars().first()
    assert event.after["document_number"] == "01/QĐ-UBND" and event.before["document_number"] == ""


def test_an_authorisation_and_who_may_issue(world, client_for, make_request):
    case = make_request(world["dhu"], subject="Sạt lở bờ kè Xẻo Nhàu")
    designation = _designation(world, kind="authorised", valid_to=date(2026, 12, 31), case_request_id=case.id,
                                topic="Sạt lở bờ kè Xẻo Nhàu")
    assert services.designation_letter_kinds(designation) == [LetterKind.AUTHORISATION, LetterKind.ANNOUNCEMENT]
    deputy = client_for(world["deputy"])
    assert deputy.get(f"/staff/letters/designation/{designation.id}").status_code == 404  # not the head
    assert client_for(world["users"][("head", "other")]).get(
        f"/staff/letters/designation/{designation.id}").status_code == 404
    letter = services.issue_for_designation(world["chair"], designation, services.default_designation_choices(
        designation, LetterKind.AUTHORISATION, world["chair"]))
    db.session.commit()
    text = docx_text(letter.docx)
    assert letter.number_and_symbol == "01/GUQ-UBND" and "GIẤY ỦY QUYỀN" in text
    assert f"(mã yêu cầu {case.reference})" in text and "đến hết ngày 31/12/2026" in text
    # A decision is not a letter an authorisation has; the form refuses it with a message.
    response = client_for(world["chair"]).post(f"/staff/letters/designation/{designation.id}", data={
        "kind": "designation", "signer": str(world["chair"].id), "position": "Chủ tịch", "summary": "x", "issue": "1"})
    assert response.status_code == 400


def test_a_new_designation_can_take_its_number_from_the_register(world, client_for):
    chair = client_for(world["chair"])
    response = chair.post(f"/admin/units/{world['dhu'].id}/designations", data={
        "user_id": str(world["deputy"].id), "kind": "designated", "title": "Phó Chủ tịch UBND xã Đông Hưng",
        "document_number": "", "document_date": "2026-12-03", "valid_from": "2026-12-03",
        "number_from_register": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    designation = db.session.execute(select(Designation).where(Designation.user_id == world["deputy"].id)).scalar_one()
    assert designation.document_number == "01/QĐ-UBND"
    assert db.session.execute(select(Letter.kind).where(Letter.designation_id == designation.id)).scalar_one() == "designation"
    # Without a number and without the register: a clear message, nothing stored.
    response = chair.post(f"/admin/units/{world['dhu'].id}/designations", data={
        "user_id": str(world["clerk"].id), "kind": "designated", "title": "Công chức", "document_number": "",
        "document_date": "2026-12-03", "valid_from": "2026-12-03"})
    assert response.status_code == 400 and "Vui lòng nhập số văn bản." in response.get_data(as_text=True)
