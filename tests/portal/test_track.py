"""Following a request: secret link, reference + e-mail, public timeline, follow-up, withdrawal."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from sqlalchemy import select

from spokes.extensions import db
from spokes.attachments import store as attachments
from spokes.press_requests import services as svc
from spokes.press_requests.models import Message, MessageKind, PressRequest
from spokes.press_requests.answer_models import AnswerKind

from .helpers import PDF, form_data, token_from


@pytest.fixture()
def asked(client, commune) -> dict[str, Any]:
    """A request submitted through the form; returns the request and its token."""
    body = client.post("/ask", data=form_data(commune["dhu"])).get_data(as_text=True)
    req = db.session.execute(select(PressRequest)).scalar_one()
    db.session.commit()  # release SQLite's write lock before other connections work
    return {"req": req, "token": token_from(body), **commune}


def _fresh_client(app):
    return app.test_client()


def _public_page(app, asked) -> str:
    """The request's page as a new browser sees it through the secret link."""
    return _fresh_client(app).get(f"/track/{asked['token']}").get_data(as_text=True)


def _journalists_browser(app, asked):
    """A browser that opened the secret link, and the request's reference."""
    c = _fresh_client(app)
    c.get(f"/track/{asked['token']}")
    return c, asked["req"].reference


def _request_and_chair(asked) -> tuple[PressRequest, Any]:
    """The request and the commune's chair, in this session, for staff actions."""
    return db.session.get(PressRequest, asked["req"].id), db.session.merge(asked["chair"])


# --------------------------------------------------------------------------- token secrecy


def test_database_holds_only_the_hash_of_the_token(app, asked):
    token, req = asked["token"], asked["req"]
    assert req.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # Scan every text column of every table: the token itself is nowhere, except in the
    # receipt e-mail waiting in the outbox (the link has to reach the journalist).
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None and token in str(value):
                    found.append((table.name, column))
    assert found and {table for table, _column in found} == {"outbox_mails"}


def test_secret_link_opens_the_request(app, asked):
    response = _fresh_client(app).get(f"/track/{asked['token']}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert asked["req"].reference in body and "Tiến độ nạo vét kênh Xẻo Nhàu" in body
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_another_requests_token_or_session_never_opens_this_one(app, asked, make_request):
    other = make_request(asked["vk"], journalist_email="khac@baochi.vn", subject="Câu hỏi của người khác")
    mine = asked["req"]
    c = _fresh_client(app)
    body = c.get(f"/track/{asked['token']}").get_data(as_text=True)
    assert mine.reference in body and other.reference not in body
    # This browser proved access to its own request only.
    assert c.get(f"/track/request/{other.reference}").status_code == 302
    assert c.post(f"/track/request/{other.reference}/message", data={"followup-body": "Xin chào"}).status_code == 404
    assert c.post(f"/track/request/{other.reference}/withdraw",
                  data={"withdraw-confirm": "y"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(PressRequest, other.id).state != "withdrawn"
    assert db.session.execute(select(Message).where(Message.request_id == other.id)).first() is None
    # The other token opens the other request only, and a tampered token opens nothing.
    other_page = _fresh_client(app).get(f"/track/{other.tracking_token}").get_data(as_text=True)
    assert other.reference in other_page and mine.reference not in other_page
    token = asked["token"]
    tampered = token[:-1] + ("y" if token.endswith("x") else "x")  # always a different token
    assert _fresh_client(app).get(f"/track/{tampered}").status_code == 404


def test_a_browser_without_proof_gets_nothing(app, asked):
    c = _fresh_client(app)
    ref = asked["req"].reference
    response = c.get(f"/track/request/{ref}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/track")
    assert c.post(f"/track/request/{ref}/message", data={"followup-body": "x"}).status_code == 404
    assert c.post(f"/track/request/{ref}/withdraw", data={"withdraw-confirm": "y"}).status_code == 404


# --------------------------------------------------------------------------- reference + e-mail


def _outbox_links(to_address: str) -> list[str]:
    from spokes.notifications.models import OutboxMail

    rows = db.session.execute(select(OutboxMail).where(OutboxMail.to_address == to_address)
                              .order_by(OutboxMail.id)).scalars()
    return [token_from(row.body_text) for row in rows if "/track/" in row.body_text]


def test_lookup_by_reference_and_email_opens_nothing_and_mails_a_new_link(app, asked):
    """Issue 17: reference + e-mail grants this browser nothing; the new link goes to the mailbox."""
    c = _fresh_client(app)
    ref = asked["req"].reference
    response = c.post("/track", data={"reference": ref.lower(), "email": "PV.Nguyen@BaoKG.vn"})
    assert response.status_code == 200 and "đường dẫn theo dõi mới" in response.get_data(as_text=True)
    assert ref not in response.get_data(as_text=True)
    # Nothing opened: no page, no message, no withdrawal from this browser.
    assert c.get(f"/track/request/{ref}").status_code == 302
    assert c.post(f"/track/request/{ref}/message", data={"followup-body": "x"}).status_code == 404
    assert c.post(f"/track/request/{ref}/withdraw", data={"withdraw-confirm": "y"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(PressRequest, asked["req"].id).state == "assigned"
    links = _outbox_links("pv.nguyen@baokg.vn")
    assert len(links) == 2 and links[0] == asked["token"]
    # The new link opens the request; the old one is revoked, even in a browser that used it.
    old_browser = _fresh_client(app)
    db.session.commit()
    assert _fresh_client(app).get(f"/track/{links[1]}").status_code == 200
    assert old_browser.get(f"/track/{asked['token']}").status_code == 404


def test_a_revoked_link_closes_the_browser_that_opened_it(app, asked):
    c = _fresh_client(app)
    assert c.get(f"/track/{asked['token']}").status_code == 200
    ref = asked["req"].reference
    assert c.get(f"/track/request/{ref}").status_code == 200
    _fresh_client(app).post("/track", data={"reference": ref, "email": "pv.nguyen@baokg.vn"})
    assert c.get(f"/track/request/{ref}").status_code == 302
    assert c.post(f"/track/request/{ref}/withdraw", data={"withdraw-confirm": "y"}).status_code == 404


def test_track_cannot_be_enumerated(app, asked, make_request):
    make_request(asked["vk"], journalist_email="khac@baochi.vn")
    ref = asked["req"].reference
    c = _fresh_client(app)
    right = c.post("/track", data={"reference": ref, "email": "pv.nguyen@baokg.vn"})
    wrong_email = c.post("/track", data={"reference": ref, "email": "khac@baochi.vn"})
    wrong_ref = c.post("/track", data={"reference": "AM-DHU-2026-09999", "email": "pv.nguyen@baokg.vn"})
    nothing_right = c.post("/track", data={"reference": "XX-1", "email": "ai@do.vn"})
    assert right.status_code == wrong_email.status_code == wrong_ref.status_code == nothing_right.status_code == 200
    assert right.get_data() == wrong_email.get_data() == wrong_ref.get_data() == nothing_right.get_data()
    # Nothing typed is echoed back, so the bodies cannot differ by it.
    assert ref not in wrong_email.get_data(as_text=True)
    bad_token = c.get("/track/" + "A" * 32)
    assert bad_token.status_code == 404 and "Không tìm thấy yêu cầu phù hợp" in bad_token.get_data(as_text=True)


def test_lookup_is_limited_per_address_and_per_reference(other_app, asked):
    limited = other_app(RATELIMIT_ENABLED=True, TRACK_LOOKUP_RATE_LIMIT="2 per hour")
    ref = asked["req"].reference
    db.session.commit()
    # Per address, whichever reference and whichever client address.
    for n in range(2):
        r = limited.test_client().post("/track", data={"reference": f"X-{n}", "email": "pv.nguyen@baokg.vn"},
                                       environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert r.status_code == 200
    r = limited.test_client().post("/track", data={"reference": "X-9", "email": "pv.nguyen@baokg.vn"},
                                   environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 429
    # Per reference, whichever address is tried.
    for n in range(2):
        r = limited.test_client().post("/track", data={"reference": ref, "email": f"guess{n}@baochi.vn"},
                                       environ_base={"REMOTE_ADDR": f"10.0.1.{n}"})
        assert r.status_code == 200
    r = limited.test_client().post("/track", data={"reference": ref, "email": "guess9@baochi.vn"},
                                   environ_base={"REMOTE_ADDR": "10.0.1.9"})
    assert r.status_code == 429


def test_track_form_errors_are_inline(client, commune):
    response = client.post("/track", data={"reference": "", "email": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="reference-error"' in body and "Vui lòng nhập mã yêu cầu." in body


def test_track_is_rate_limited(other_app, asked):
    limited = other_app(RATELIMIT_ENABLED=True, TRACK_RATE_LIMIT="2 per minute")
    c = limited.test_client()
    ref = asked["req"].reference
    db.session.commit()
    assert c.post("/track", data={"reference": ref, "email": "x@y.vn"}).status_code == 200
    assert c.get("/track/" + "B" * 32).status_code == 404  # the link and the form share one limit
    response = c.post("/track", data={"reference": ref, "email": "pv.nguyen@baokg.vn"})
    assert response.status_code == 429
    assert "Bạn đã gửi quá nhiều yêu cầu" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- the public timeline


def test_timeline_shows_public_events_and_hides_internal_ones(app, asked, make_user):
    deputy = make_user("spokesperson", asked["dhu"], name="Trương Thị Mai", title="Phó Chủ tịch UBND xã",
                       email="pcc@donghung.vn")
    req, chair = _request_and_chair(asked)
    svc.add_message(chair, req, MessageKind.INTERNAL_NOTE, "GHI CHÚ NỘI BỘ: chờ ý kiến huyện")
    svc.reassign(chair, req, deputy, "Lý do nội bộ: chủ tịch đi công tác")
    svc.add_message(chair, req, MessageKind.TO_JOURNALIST, "Chúng tôi đang tổng hợp số liệu.")
    db.session.commit()
    body = _public_page(app, asked)
    for public in ("Đã tiếp nhận yêu cầu", "Đã giao cho người phát ngôn", "Nguyễn Văn Hải — Chủ tịch UBND xã Đông Hưng",
                   "Trương Thị Mai — Phó Chủ tịch UBND xã", "Tin nhắn từ đơn vị", "Chúng tôi đang tổng hợp số liệu.",
                   "Hạn trả lời", "17/03/2026 23:59"):
        assert public in body, public
    for private in ("GHI CHÚ NỘI BỘ", "Lý do nội bộ", "chutich@donghung.vn", "pcc@donghung.vn", "Giao tự động"):
        assert private not in body, private


def test_answer_is_shown_as_markdown_with_its_public_files_only(app, asked):
    req, chair = _request_and_chair(asked)
    answer = svc.save_draft(chair, req, svc.DraftData(body="Kênh sẽ xong **tháng 6/2026**.\n\n- Kinh phí: 2 tỷ"))
    public = attachments.store(io.BytesIO(PDF), "bao-cao.pdf", max_bytes=10_000, allowed=attachments.STAFF_KINDS,
                               purpose="answer", answer_id=answer.id, is_public=True)
    private = attachments.store(io.BytesIO(PDF), "noi-bo.pdf", max_bytes=10_000, allowed=attachments.STAFF_KINDS,
                                purpose="evidence", request_id=req.id, is_public=False)
    svc.send_directly(chair, req)
    db.session.commit()
    c = _fresh_client(app)
    body = c.get(f"/track/{asked['token']}").get_data(as_text=True)
    assert "<strong>tháng 6/2026</strong>" in body and "<li>Kinh phí: 2 tỷ</li>" in body
    assert "Đã trả lời" in body and "bao-cao.pdf" in body and "noi-bo.pdf" not in body
    # The request is closed: no more follow-up or withdrawal.
    assert "followup-body" not in body and "withdraw-confirm" not in body
    ref = req.reference
    download = c.get(f"/track/request/{ref}/files/{public.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    assert c.get(f"/track/request/{ref}/files/{private.id}").status_code == 404
    assert _fresh_client(app).get(f"/track/request/{ref}/files/{public.id}").status_code == 404


def test_refusal_shows_ground_and_reason(app, asked):
    from spokes.deadlines.services import refusal_grounds_for

    req, chair = _request_and_chair(asked)
    ground = refusal_grounds_for(req.rulebook_id)[0]
    svc.save_draft(chair, req, svc.DraftData(kind=AnswerKind.REFUSAL.value, refusal_ground_id=ground.id,
                                             refusal_reason="Vụ việc đang được thanh tra, chưa có kết luận."))
    svc.send_directly(chair, req)
    db.session.commit()
    body = _public_page(app, asked)
    assert "Từ chối cung cấp thông tin" in body
    assert ground.text in body and "Vụ việc đang được thanh tra, chưa có kết luận." in body


def test_transfer_and_extension_are_on_the_timeline(app, asked):
    req, chair = _request_and_chair(asked)
    svc.transfer(chair, req, asked["vk"], "Thuộc thẩm quyền UBND xã Vân Khánh")
    db.session.commit()
    body = _public_page(app, asked)
    assert "Chuyển đến đơn vị có thẩm quyền" in body
    assert "Thuộc thẩm quyền UBND xã Vân Khánh" in body and "UBND xã Vân Khánh" in body


# --------------------------------------------------------------------------- follow-up and withdrawal


def test_follow_up_message_reaches_the_request(app, asked):
    c, ref = _journalists_browser(app, asked)
    response = c.post(f"/track/request/{ref}/message", data={"followup-body": "Xin bổ sung câu hỏi về kinh phí."})
    assert response.status_code == 303
    message = db.session.execute(select(Message)).scalar_one()
    assert (message.kind, message.author_id, message.body) == ("from_journalist", None, "Xin bổ sung câu hỏi về kinh phí.")
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã gửi tin nhắn tới đơn vị." in page and "Xin bổ sung câu hỏi về kinh phí." in page


def test_empty_or_long_follow_up_is_refused_inline(app, asked):
    c, ref = _journalists_browser(app, asked)
    response = c.post(f"/track/request/{ref}/message", data={"followup-body": "   "})
    assert response.status_code == 400 and "Vui lòng nhập nội dung tin nhắn." in response.get_data(as_text=True)
    response = c.post(f"/track/request/{ref}/message", data={"followup-body": "x" * 5001})
    assert response.status_code == 400 and "Tin nhắn tối đa 5000 ký tự." in response.get_data(as_text=True)
    assert db.session.execute(select(Message)).first() is None


def test_withdraw_needs_confirmation_then_closes_the_request(app, asked):
    c, ref = _journalists_browser(app, asked)
    response = c.post(f"/track/request/{ref}/withdraw", data={"withdraw-reason": "Đã có thông tin khác"})
    assert response.status_code == 400
    assert "Vui lòng đánh dấu ô xác nhận để rút yêu cầu." in response.get_data(as_text=True)
    response = c.post(f"/track/request/{ref}/withdraw",
                      data={"withdraw-reason": "Đã có thông tin khác", "withdraw-confirm": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(PressRequest, asked["req"].id).state == "withdrawn"
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã rút yêu cầu" in page and "Đã có thông tin khác" in page
    # Withdrawing twice is a refused workflow action, not a crash.
    again = c.post(f"/track/request/{ref}/withdraw", data={"withdraw-confirm": "y"})
    assert again.status_code == 409
