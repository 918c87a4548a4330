"""Staff intake: any channel, a journalist picked or entered, earlier receipt with a reason,
attachments checked by content."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from spokes.core.clock import now
from spokes.extensions import db
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Journalist, PressRequest

VN = "%Y-%m-%dT%H:%M"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _local(moment):
    from spokes.core.clock import VN_TZ

    return moment.astimezone(VN_TZ).strftime(VN)


def _form(world, **overrides):
    data = {
        "unit": str(world["dhu"].id), "journalist_name": "Trần Văn Nam", "agency": "Báo Kiên Giang",
        "email": "nam@baokiengiang.vn", "phone": "0912 345 678", "press_card_number": "BC-2031",
        "press_card_expiry": "31/12/2028", "type": "information", "channel": "phone",
        "subject": "Tiến độ nạo vét kênh Xẻo Nhàu", "questions": "Xin cho biết tiến độ và kinh phí.",
        "article_url": "", "received_at": "", "received_at_reason": "",
    }
    data.update(overrides)
    return data


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_form_offers_only_units_where_the_user_logs_requests(world, client_for):
    response = client_for(world["clerk"]).get("/staff/requests/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world["dhu"].name in page and world["vk"].name not in page
    # Date and time are typed dd/mm/yyyy HH:MM in a text box, whatever the browser's locale (issue 20).
    assert 'type="datetime-local"' not in page and 'placeholder="dd/mm/yyyy HH:MM"' in page and 'multiple' in page


@pytest.mark.parametrize("role", ["overseer", "admin"])
def test_roles_without_log_request_cannot_open_intake(role, world, client_for):
    assert client_for(world["users"][(role, "own")]).get("/staff/requests/new").status_code == 403


def test_clerk_logs_a_phone_request_with_attachments(world, client_for):
    client = client_for(world["clerk"])
    data = _form(world, attachments=[(io.BytesIO(PDF), "công văn.pdf"), (io.BytesIO(PNG), "ảnh chụp.png")],
                 letter=(io.BytesIO(PDF), "giấy giới thiệu.pdf"))
    response = client.post("/staff/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert response.headers["Location"].endswith(f"/staff/requests/{req.id}")
    assert (req.channel, req.type, req.unit_id, req.state) == ("phone", "information", world["dhu"].id, "assigned")
    assert req.assignee_id == world["chair"].id and req.created_by_id == world["clerk"].id
    assert req.journalist.name == "Trần Văn Nam" and req.journalist.agency.name == "Báo Kiên Giang"
    assert req.journalist.press_card_number == "BC-2031"
    purposes = sorted(a.purpose for a in db.session.execute(select(Attachment)).scalars())
    assert purposes == ["evidence", "evidence", "letter"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert req.reference in page and "Hạn trả lời" in page
    flash = re.search(r'class="alert alert-success">([^<]+)<', page).group(1)
    from spokes.core.jinja import vn_datetime

    assert req.reference in flash and vn_datetime(req.due_at) in flash
    assert "công văn.pdf" in page and "giấy giới thiệu.pdf" in page


def test_earlier_receipt_needs_a_reason(world, client_for):
    client = client_for(world["clerk"])
    earlier = now() - timedelta(hours=5)
    response = client.post("/staff/requests/new", data=_form(world, received_at=_local(earlier)))
    assert response.status_code == 400
    assert "vui lòng nêu lý do" in response.get_data(as_text=True)
    assert _count(PressRequest) == 0
    response = client.post("/staff/requests/new", data=_form(
        world, received_at=earlier.astimezone().strftime("%d/%m/%Y %H:%M") if False else _local(earlier),
        received_at_reason="Nhận qua điện thoại lúc sáng, nay mới nhập."))
    assert response.status_code == 302
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert abs((req.received_at - earlier).total_seconds()) < 60
    assert req.received_at_reason.startswith("Nhận qua điện thoại")


def test_receipt_in_vietnamese_format_and_future_receipt(world, client_for):
    from spokes.core.clock import VN_TZ

    client = client_for(world["clerk"])
    future = (now() + timedelta(days=1)).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    response = client.post("/staff/requests/new", data=_form(world, received_at=future))
    assert response.status_code == 400 and "tương lai" in response.get_data(as_text=True)
    garbage = client.post("/staff/requests/new", data=_form(world, received_at="hôm qua"))
    assert garbage.status_code == 400 and "Ngày giờ không hợp lệ" in garbage.get_data(as_text=True)
    assert _count(PressRequest) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("subject", "", "Vui lòng điền mục này."),
    ("subject", "x" * 256, "Tối đa 255 ký tự."),
    ("questions", "", "Vui lòng điền mục này."),
    ("type", "gossip", "Lựa chọn không hợp lệ."),
    ("channel", "pigeon", "Lựa chọn không hợp lệ."),
    ("email", "not-an-email", "Địa chỉ thư điện tử không hợp lệ."),
    ("article_url", "javascript:alert(1)", "Địa chỉ không hợp lệ"),
    ("article_url", "javascript://x%0aalert(1)", "Địa chỉ không hợp lệ"),
    ("journalist_name", "", "Vui lòng chọn phóng viên đã có hoặc nhập họ tên phóng viên."),
    ("press_card_expiry", "32/13/2028", "Ngày không hợp lệ"),
    ("unit", "abc", "Lựa chọn không hợp lệ."),
])
def test_invalid_fields_are_shown_inline_with_400(field, value, message, world, client_for):
    response = client_for(world["clerk"]).post("/staff/requests/new", data=_form(world, **{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert _count(PressRequest) == 0


def test_cannot_log_for_another_unit(world, client_for):
    response = client_for(world["clerk"]).post("/staff/requests/new", data=_form(world, unit=str(world["vk"].id)))
    assert response.status_code == 400
    assert _count(PressRequest) == 0


def test_rejected_upload_is_an_inline_error_and_nothing_is_saved(world, client_for, instance_dir):
    import os

    uploads = os.path.join(instance_dir, "uploads")
    before = set(os.listdir(uploads)) if os.path.isdir(uploads) else set()
    data = _form(world, attachments=[(io.BytesIO(PDF), "ok.pdf"), (io.BytesIO(b"MZ\x90\x00evil"), "virus.pdf")])
    response = client_for(world["clerk"]).post("/staff/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "virus.pdf: Định dạng tệp không được chấp nhận" in page
    assert _count(PressRequest) == 0 and _count(Attachment) == 0
    after = set(os.listdir(uploads)) if os.path.isdir(uploads) else set()
    assert after == before


def test_oversized_upload_is_refused(world, client_for, app):
    app.config["STAFF_UPLOAD_MAX_BYTES"] = 1024
    data = _form(world, attachments=[(io.BytesIO(PDF + b"0" * 2048), "big.pdf")])
    response = client_for(world["clerk"]).post("/staff/requests/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_interview_and_emergency_times(world, client_for):
    from spokes.core.clock import VN_TZ

    client = client_for(world["clerk"])
    when = (now() + timedelta(days=3)).astimezone(VN_TZ).replace(hour=9, minute=30, second=0, microsecond=0)
    response = client.post("/staff/requests/new", data=_form(
        world, type="interview", interview_wanted_at=when.strftime(VN), interview_place="Hội trường UBND xã"))
    assert response.status_code == 302
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert req.interview_wanted_at == when and req.interview_place == "Hội trường UBND xã"
    event = (now() - timedelta(minutes=30)).astimezone(VN_TZ).replace(second=0, microsecond=0)
    response = client.post("/staff/requests/new", data=_form(
        world, type="emergency", subject="Chìm tàu cá", event_at=event.strftime(VN)))
    assert response.status_code == 302
    emergency = db.session.execute(select(PressRequest).where(PressRequest.type == "emergency")).scalar_one()
    assert emergency.event_at == event
    assert emergency.clock_started_at == event  # ND 09: counted from the event
    assert abs((emergency.due_at - (event + timedelta(hours=24))).total_seconds()) < 2


def test_pick_an_earlier_journalist(world, make_request, client_for):
    first = make_request(world["dhu"], journalist_name="Ngô Thị Hạnh", journalist_email="hanh@kgtv.vn",
                         agency="Đài Phát thanh và Truyền hình Kiên Giang")
    client = client_for(world["clerk"])
    for query in ("ngo thi hanh", "Hạnh", "hanh@kgtv.vn", "truyen hinh"):
        page = client.get("/staff/requests/new", query_string={"jq": query}).get_data(as_text=True)
        assert f'value="{first.journalist_id}"' in page, query
    none = client.get("/staff/requests/new", query_string={"jq": "nao vet"}).get_data(as_text=True)
    assert f'value="{first.journalist_id}"' not in none  # a subject word is not a journalist
    data = _form(world, journalist_id=str(first.journalist_id), journalist_name="", agency="", email="",
                 phone="0999 111 222")
    response = client.post("/staff/requests/new?jq=hanh", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    newest = db.session.execute(select(PressRequest).order_by(PressRequest.id.desc())).scalars().first()
    assert newest.journalist_id == first.journalist_id
    # The phone given now is the request's; the record staff hold changes only on purpose (issue 17).
    assert newest.contact_phone == "0999 111 222" and newest.contact_name == "Ngô Thị Hạnh"
    assert db.session.get(Journalist, first.journalist_id).phone != "0999 111 222"
    assert _count(Journalist) == 1


def test_journalists_of_other_units_stay_private(world, make_request, client_for):
    theirs = make_request(world["vk"], journalist_name="Phan Thanh Sơn", journalist_email="son@thanhnien.vn")
    client = client_for(world["clerk"])
    page = client.get("/staff/requests/new", query_string={"jq": "phan thanh son"}).get_data(as_text=True)
    assert "son@thanhnien.vn" not in page
    response = client.post("/staff/requests/new", data=_form(world, journalist_id=str(theirs.journalist_id)))
    assert response.status_code == 400
    assert "Không tìm thấy phóng viên đã chọn" in response.get_data(as_text=True)
    assert _count(PressRequest) == 1


def test_intake_with_csrf_on(make_app, world):
    data = _form(world)
    db.session.commit()  # end the test's own transaction: SQLite would keep the other app waiting
    app = make_app(WTF_CSRF_ENABLED=True)
    try:
        _walk_with_csrf(app.test_client(), data)
    finally:
        with app.app_context():
            db.engine.dispose()  # this app's pool is not the fixture's: close its connections


def _walk_with_csrf(client, data):
    from tests.conftest import PASSWORD

    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"email": "clerk@dhu.vn", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert client.post("/staff/requests/new", data=data).status_code == 400  # no token
    page = client.get("/staff/requests/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/requests/new", data={**data, "csrf_token": token})
    assert response.status_code == 302
    # Action forms carry a prefixed token of their own.
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    note_token = re.search(r'name="note-csrf_token" type="hidden" value="([^"]+)"', detail).group(1)
    target = response.headers["Location"] + "/note"
    assert client.post(target, data={"note-body": "Đã gọi lại cho phóng viên."}).status_code == 400
    assert client.post(target, data={"note-body": "Đã gọi lại.", "note-csrf_token": note_token}).status_code == 302
