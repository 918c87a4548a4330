"""Staff intake: the same form sent twice logs one request; an emergency's event comes before its receipt;
a bad article address is said once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from spokes.core.clock import VN_TZ
from spokes.core.errors import DomainError
from spokes.core.once import FormSubmission
from spokes.extensions import db
from spokes.notifications.models import OutboxMail
from spokes.press_requests import services as svc
from spokes.press_requests.models import PressRequest
from tests.press_requests.test_intake import _form

RECEIVED = datetime(2026, 12, 5, 9, 0, tzinfo=VN_TZ)
_KEY = re.compile(r'name="form_key" type="hidden" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fixed_day(frozen_clock: Any) -> None:
    frozen_clock(RECEIVED)


def _count(model: Any) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _receipts() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(OutboxMail)
                              .where(OutboxMail.to_address == "nam@baokiengiang.vn")).scalar_one()


def _shown_key(client: Any) -> str:
    page = client.get("/staff/requests/new").get_data(as_text=True)
    assert "data-submit-once" in page and "js/submit_once.js" in page  # the browser sends it once, too
    return _KEY.search(page).group(1)


def _field_error(page: str, name: str) -> str:
    return re.search(rf'id="{name}-error"[^>]*>([^<]*)<', page).group(1)


# --------------------------------------------------------------------------- sent twice


def test_the_same_form_sent_twice_logs_one_request_and_one_receipt(world, client_for):
    client = client_for(world["clerk"])
    data = _form(world, form_key=_shown_key(client))
    first = client.post("/staff/requests/new", data=data)
    again = client.post("/staff/requests/new", data=data)
    assert first.status_code == 302 and again.status_code == 303
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert again.headers["Location"] == first.headers["Location"] == f"/staff/requests/{req.id}"
    assert _receipts() == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"Biểu mẫu này đã được gửi; yêu cầu {req.reference} đã được tiếp nhận." in page
    # A new page, a new key: the next request is logged as usual.
    assert client.post("/staff/requests/new", data={**data, "form_key": _shown_key(client)}).status_code == 302
    assert _count(PressRequest) == 2


def test_a_refused_sending_leaves_the_key_unused(world, client_for, monkeypatch):
    client = client_for(world["clerk"])
    data = _form(world, form_key=_shown_key(client))
    bad = client.post("/staff/requests/new", data={**data, "subject": ""})
    assert bad.status_code == 400 and data["form_key"] in bad.get_data(as_text=True)  # shown again, same key
    real_intake = svc.intake

    def refused_once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(svc, "intake", real_intake)
        raise DomainError("Không có quy tắc thời hạn áp dụng cho ngày tiếp nhận này.", status=400)

    monkeypatch.setattr(svc, "intake", refused_once)  # refused after the key was claimed: both roll back
    refused = client.post("/staff/requests/new", data=data)
    assert refused.status_code == 400 and _count(PressRequest) == 0 and _count(FormSubmission) == 0
    assert client.post("/staff/requests/new", data=data).status_code == 302
    assert _count(PressRequest) == 1 and _receipts() == 1


def test_another_persons_key_shows_nothing_of_theirs(world, make_user, client_for):
    clerk, colleague = client_for(world["clerk"]), client_for(make_user("clerk", world["dhu"]))
    data = _form(world, form_key=_shown_key(clerk))
    first = clerk.post("/staff/requests/new", data=data)
    copied = colleague.post("/staff/requests/new", data=data)  # served as a form of their own
    assert first.status_code == copied.status_code == 302
    assert copied.headers["Location"] != first.headers["Location"] and _count(PressRequest) == 2


# --------------------------------------------------------------------------- the event of an emergency


def test_an_emergency_event_after_the_receipt_is_refused_on_its_field(world, client_for):
    client = client_for(world["clerk"])
    response = client.post("/staff/requests/new", data=_form(
        world, type="emergency", subject="Chìm tàu cá", event_at="31/12/2026 10:00"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _field_error(page, "event_at") == "Thời điểm xảy ra sự kiện không thể sau thời điểm tiếp nhận."
    assert 'value="31/12/2026 10:00"' in page and _count(PressRequest) == 0
    # After a receipt noted earlier, an event between the two is after the receipt too.
    later = client.post("/staff/requests/new", data=_form(
        world, type="emergency", subject="Chìm tàu cá", received_at="05/12/2026 06:00",
        received_at_reason="Nhận tin qua điện thoại lúc sáng sớm.", event_at="05/12/2026 07:00"))
    assert later.status_code == 400 and "không thể sau thời điểm tiếp nhận" in _field_error(
        later.get_data(as_text=True), "event_at")
    # Another type does not count from the event: its (hidden) field is not judged.
    assert client.post("/staff/requests/new", data=_form(world, event_at="31/12/2026 10:00")).status_code == 302
    ok = client.post("/staff/requests/new", data=_form(
        world, type="emergency", subject="Chìm tàu cá", event_at="05/12/2026 08:15"))
    assert ok.status_code == 302
    emergency = db.session.execute(select(PressRequest).where(PressRequest.type == "emergency")).scalar_one()
    assert emergency.clock_started_at == datetime(2026, 12, 5, 8, 15, tzinfo=VN_TZ)


def test_the_intake_service_refuses_an_event_after_the_receipt(world):
    data = svc.IntakeData(type="emergency", channel="phone", subject="Chìm tàu cá", questions="Thiệt hại?",
                          journalist=None, event_at=datetime(2026, 12, 31, 10, 0, tzinfo=VN_TZ))
    with pytest.raises(DomainError) as refused:
        svc.intake(world["clerk"], world["dhu"], data)
    assert refused.value.status == 400 and "sự kiện" in refused.value.message
    db.session.rollback()


# --------------------------------------------------------------------------- the article's address


@pytest.mark.parametrize("address", ["javascript:alert(1)", "ftp://baokiengiang.vn/bai-viet", "baokiengiang.vn"])
def test_a_bad_article_address_is_said_once(address, world, client_for):
    response = client_for(world["clerk"]).post("/staff/requests/new", data=_form(world, article_url=address))
    assert response.status_code == 400
    assert _field_error(response.get_data(as_text=True), "article_url") == (
        "Địa chỉ không hợp lệ; hãy bắt đầu bằng http:// hoặc https://.")
