"""Designations: authorised needs an end date and a case, no further delegation, revocation keeps history."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from spokes.core.clock import today_vn
from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.attachments.models import Attachment
from spokes.press_requests.services import current_speaker
from spokes.units import services as units_svc
from spokes.units.models import Designation
from spokes.units.services import current_designation_filter

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _post_data(user, kind="designated", **overrides):
    today = today_vn()
    data = {"user_id": str(user.id), "kind": kind, "title": "Phó Chủ tịch UBND xã", "public_phone": "",
            "public_email": "", "document_number": "12/QĐ-UBND", "document_date": today.isoformat(),
            "valid_from": today.isoformat(), "valid_to": "", "topic": "", "case_reference": ""}
    data.update(overrides)
    return data


def _designate(client, unit, user, scan: tuple[bytes, str] | None = None, **fields):
    """Post the designation form of ``unit`` for ``user``; ``scan`` is an uploaded file (content, name)."""
    url = f"/admin/units/{unit.id}/designations"
    data = _post_data(user, **fields)
    if scan is None:
        return client.post(url, data=data)
    content, name = scan
    return client.post(url, data={**data, "scan": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _current(unit):
    return list(db.session.execute(select(Designation).where(
        Designation.unit_id == unit.id, current_designation_filter(today_vn()))).scalars())


def test_head_designates_a_spokesperson_for_their_unit(client, district, make_user, login):
    dhu = district["dhu"]
    head = make_user("head", dhu)
    deputy = make_user("spokesperson", dhu, name="Trương Thị Mai")
    login(head)
    response = _designate(client, dhu, deputy)
    assert response.status_code == 302
    [d] = _current(dhu)
    assert (d.user_id, d.kind, d.public_email, d.created_by_id) == (deputy.id, "designated", deputy.email, head.id)
    assert current_speaker(dhu)[0].id == deputy.id


def test_authorised_without_end_date_is_refused_by_the_form(client, district, make_user, login):
    dhu = district["dhu"]
    login(make_user("head", dhu))
    deputy = make_user("spokesperson", dhu)
    response = _designate(client, dhu, deputy, kind="authorised", topic="Sạt lở bờ biển")
    assert response.status_code == 400
    assert "Ủy quyền phát ngôn phải có ngày hết hiệu lực." in response.get_data(as_text=True)
    no_topic = _designate(client, dhu, deputy, kind="authorised", valid_to=(today_vn() + timedelta(days=5)).isoformat())
    assert no_topic.status_code == 400
    assert "Ủy quyền chỉ áp dụng cho từng vụ việc" in no_topic.get_data(as_text=True)
    assert _current(dhu) == []


def test_authorised_without_end_date_is_refused_by_the_service(district, make_user):
    dhu = district["dhu"]
    head, deputy = make_user("head", dhu), make_user("spokesperson", dhu)
    data = units_svc.DesignationData(user_id=deputy.id, kind="authorised", title="Phó Chủ tịch", document_number="1/UQ",
                                     document_date=today_vn(), valid_from=today_vn(), topic="Sạt lở")
    with pytest.raises(DomainError) as err:
        units_svc.create_designation(head, dhu, data)
    assert err.value.status == 400 and "thời hạn" in err.value.message
    data.valid_to, data.topic = today_vn() + timedelta(days=3), None
    with pytest.raises(DomainError):
        units_svc.create_designation(head, dhu, data)  # and no case or topic either
    data.topic = "Sạt lở"
    designation = units_svc.create_designation(head, dhu, data)
    assert designation.kind == "authorised" and designation.valid_to == today_vn() + timedelta(days=3)


def test_authorisation_for_a_case_by_reference(client, district, make_user, login, make_request):
    dhu = district["dhu"]
    head, deputy = make_user("head", dhu, designate="head"), make_user("spokesperson", dhu)
    req = make_request(dhu)
    login(head)
    response = _designate(client, dhu, deputy, kind="authorised", valid_to=(today_vn() + timedelta(days=7)).isoformat(),
                          case_reference=req.reference.lower())
    assert response.status_code == 302
    d = db.session.execute(select(Designation).where(Designation.kind == "authorised")).scalar_one()
    assert d.case_request_id == req.id and d.topic == req.subject
    bad = _designate(client, dhu, deputy, kind="authorised", valid_to=(today_vn() + timedelta(days=7)).isoformat(),
                     case_reference="AM-VK-2020-99999")
    assert bad.status_code == 400 and "Không tìm thấy yêu cầu" in bad.get_data(as_text=True)


def _authorise(user, title, number, topic):
    """Record a ten-day authorisation of the user in their unit, signed on 01/01/2025."""
    unit_id = user.memberships[0].unit_id
    db.session.add(Designation(unit_id=unit_id, user_id=user.id, kind="authorised", title=title, document_number=number,
                               document_date=date(2025, 1, 1), valid_from=date(2025, 1, 1),
                               valid_to=today_vn() + timedelta(days=10), topic=topic))
    db.session.commit()


def test_an_authorised_speaker_cannot_delegate(client, district, make_user, login):
    dhu = district["dhu"]
    # A deputy holding the head role (to approve) who speaks only through an authorisation.
    deputy = make_user("head", dhu)
    _authorise(deputy, "Phó Chủ tịch", "3/UQ", "Sạt lở bờ biển")
    other = make_user("spokesperson", dhu)
    data = units_svc.DesignationData(user_id=other.id, kind="authorised", title="Cán bộ", document_number="4/UQ",
                                     document_date=today_vn(), valid_from=today_vn(),
                                     valid_to=today_vn() + timedelta(days=2), topic="Sạt lở bờ biển")
    with pytest.raises(DomainError) as err:
        units_svc.create_designation(deputy, dhu, data)
    assert "không được ủy quyền" in err.value.message
    login(deputy)
    response = _designate(client, dhu, other, kind="authorised", valid_to=(today_vn() + timedelta(days=2)).isoformat(),
                          topic="Sạt lở bờ biển")
    assert response.status_code == 403
    assert not db.session.execute(select(Designation).where(Designation.user_id == other.id)).first()


def test_a_plain_authorised_spokesperson_has_no_designation_screen(client, district, make_user, login):
    dhu = district["dhu"]
    speaker = make_user("spokesperson", dhu)
    _authorise(speaker, "Cán bộ", "5/UQ", "Lễ hội")
    login(speaker)
    assert client.get(f"/admin/units/{dhu.id}/designations").status_code == 403


def test_revoke_keeps_history_and_leaves_the_directory(client, district, make_user, login):
    dhu = district["dhu"]
    head = make_user("head", dhu)
    deputy = make_user("spokesperson", dhu, designate="designated")
    [d] = _current(dhu)
    assert current_speaker(dhu)[0].id == deputy.id
    login(head)
    empty = client.post(f"/admin/designations/{d.id}/revoke", data={"reason": ""})
    assert empty.status_code == 400 and "Vui lòng nêu lý do thu hồi." in empty.get_data(as_text=True)
    response = client.post(f"/admin/designations/{d.id}/revoke", data={"reason": "Chuyển công tác"})
    assert response.status_code == 302
    assert _current(dhu) == []
    kept = db.session.get(Designation, d.id)
    assert kept is not None and kept.revoked_reason == "Chuyển công tác" and kept.revoked_at is not None
    assert current_speaker(dhu)[0].id == head.id  # falls back to the head, who speaks by law
    page = client.get(f"/admin/units/{dhu.id}/designations").get_data(as_text=True)
    assert "Chuyển công tác" in page and "Đã thu hồi" in page
    assert client.post(f"/admin/designations/{d.id}/revoke", data={"reason": "lại"}).status_code == 400


def test_directory_reads_designations_at_once(client, district, as_admin, make_user):
    from spokes.portal.services import directory

    vk = district["vk"]
    chair = make_user("head", vk, name="Huỳnh Văn Phúc", title="Chủ tịch UBND xã Vân Khánh")

    def entry():
        def walk(entries):
            for e in entries:
                if e.unit.id == vk.id:
                    return e
                found = walk(e.children)
                if found:
                    return found
        return walk(directory())

    assert entry().missing
    _designate(client, vk, chair, kind="head", title="Chủ tịch UBND xã")
    assert [p.name for p in entry().heads] == ["Huỳnh Văn Phúc"]


def test_scan_upload_is_stored_and_downloadable(client, district, as_admin, make_user):
    vk = district["vk"]
    chair = make_user("head", vk)
    response = _designate(client, vk, chair, kind="head", scan=(PDF, "quyet-dinh.pdf"))
    assert response.status_code == 302
    d = db.session.execute(select(Designation).where(Designation.unit_id == vk.id)).scalar_one()
    attachment = db.session.get(Attachment, d.scan_attachment_id)
    assert attachment.purpose == "scan" and attachment.mime_type == "application/pdf"
    with client.get(f"/admin/designations/{d.id}/scan") as download:
        assert download.status_code == 200 and download.data == PDF


def test_a_scan_of_the_wrong_kind_is_refused(client, district, as_admin, make_user):
    vk = district["vk"]
    chair = make_user("head", vk)
    response = _designate(client, vk, chair, kind="head", scan=(b"MZ\x90\x00not a pdf", "virus.pdf"))
    assert response.status_code == 400
    assert "Định dạng tệp không được chấp nhận" in response.get_data(as_text=True)
    assert _current(vk) == []


def test_a_designation_needs_a_member_of_the_unit(district, admin, make_user):
    stranger = make_user("clerk", district["dhu"])
    data = units_svc.DesignationData(user_id=stranger.id, kind="designated", title="X", document_number="1",
                                     document_date=today_vn(), valid_from=today_vn())
    with pytest.raises(DomainError):
        units_svc.create_designation(admin, district["vk"], data)
