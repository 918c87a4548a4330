"""The request page: deadline explanation, answer, notes, attachments, timeline, inline errors,
and no data for a request of another unit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask

from spokes.core.clock import now, today_vn
from spokes.deadlines.explain import render_steps
from spokes.deadlines.forms import CONFIDENCE_LABELS
from spokes.deadlines.services import refusal_grounds_for
from spokes.extensions import db
from spokes.attachments import store as attachments
from spokes.press_requests import services as svc
from spokes.press_requests.models import MessageKind

from .helpers import count_queries


def test_header_and_full_deadline_explanation(world, make_request, client_for):
    req = make_request(world["dhu"], type="information")
    page = client_for(world["clerk"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    exp = req.deadline_explanation
    assert req.reference in page and world["dhu"].name in page and world["chair"].name in page
    assert exp["citation"]["source"] in page and exp["rule"]["label"] in page
    assert str(CONFIDENCE_LABELS[exp["confidence"]]) in page and exp["rulebook"]["name"] in page
    for step in render_steps(exp["steps"]):
        assert step.replace("“", "&#34;")[:20] in page or step[:20] in page
    for day in exp["skipped_days"]:
        assert day["name"] in page


def test_overdue_forwarded_feedback_shows_the_rule_note(world, make_request, client_for):
    req = make_request(world["dhu"], type="forwarded_feedback", channel="press_article",
                       received_at=now() - timedelta(days=40))
    assert req.rule.overdue_note  # ND 237 Điều 18(4)
    page = client_for(world["chair"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Yêu cầu đã quá hạn trả lời." in page
    assert req.rule.overdue_note in page
    fresh = make_request(world["dhu"], type="forwarded_feedback")
    assert req.rule.overdue_note not in client_for(world["chair"]).get(f"/staff/requests/{fresh.id}").get_data(as_text=True)


def test_draft_is_rendered_as_sanitised_markdown(world, make_request, client_for):
    req = make_request(world["dhu"])
    client = client_for(world["deputy"])
    response = client.post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "written",
        "draft-body": "Đã **nạo vét** 80%.\n\n<script>alert('x')</script>"})
    assert response.status_code == 302
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "<strong>nạo vét</strong>" in page
    assert "<script>alert" not in page
    assert "Gửi thông cáo báo chí, nội dung trả lời bằng văn bản hoặc thư điện tử" in page


def test_refusal_draft_needs_ground_and_reason(world, make_request, client_for):
    req = make_request(world["dhu"])
    client = client_for(world["chair"])
    response = client.post(f"/staff/requests/{req.id}/draft", data={"draft-kind": "refusal", "draft-form": "written"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng chọn căn cứ từ chối." in page and "Vui lòng nêu lý do từ chối cụ thể." in page
    assert 'id="panel-draft" open' in page
    ground = refusal_grounds_for(req.rulebook_id)[0]
    response = client.post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "refusal", "draft-form": "written", "draft-refusal_ground": str(ground.id),
        "draft-refusal_reason": "Đang thanh tra."})
    assert response.status_code == 302
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert ground.text[:30] in page and "Đang thanh tra." in page


def test_interview_draft_records_schedule_and_review(world, make_request, client_for):
    req = make_request(world["dhu"], type="interview")
    client = client_for(world["chair"])
    data = {"draft-kind": "answer", "draft-form": "interview", "draft-body": "Nội dung phỏng vấn.",
            "draft-interview_at": "15/12/2026 09:00", "draft-interview_place": "Hội trường xã"}
    response = client.post(f"/staff/requests/{req.id}/draft", data=data)
    assert response.status_code == 400  # the questions must come first (Luật Báo chí 2025, Điều 33)
    assert "gửi trước câu hỏi" in response.get_data(as_text=True)
    response = client.post(f"/staff/requests/{req.id}/draft", data={
        **data, "draft-questions_received": "y", "draft-review_requested": "y"})
    assert response.status_code == 302
    answer = svc.current_draft(req)
    assert answer.questions_received and answer.review_requested and answer.interview_place == "Hội trường xã"
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "15/12/2026 09:00" in page and "người trả lời đề nghị xem lại trước khi đăng" in page


def test_interview_answer_may_go_out_when_the_interviewee_consents(world, make_request, client_for):
    """Questions in advance OR the interviewee's consent (issue 15, item 9); which one is recorded."""
    req = make_request(world["dhu"], type="interview")
    client = client_for(world["chair"])
    response = client.post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "interview", "draft-body": "Nội dung phỏng vấn.",
        "draft-interviewee_consent": "y"})
    assert response.status_code == 302
    answer = svc.current_draft(req)
    assert answer.interviewee_consent and not answer.questions_received
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Chưa nhận trước câu hỏi" in page and "người trả lời phỏng vấn đồng ý trả lời" in page


def test_draft_attachments_are_stored_with_the_answer(world, make_request, client_for):
    req = make_request(world["dhu"])
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "written", "draft-body": "Xem tệp.",
        "draft-attachments": [(io.BytesIO(b"%PDF-1.4\n"), "bao-cao.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    from sqlalchemy import select

    att = db.session.execute(select(attachments.Attachment)).scalar_one()
    assert att.request_id == req.id and att.answer_id == svc.current_draft(req).id and att.purpose == "answer"


def test_notes_stay_internal_and_messages_go_to_the_journalist(world, make_request, client_for):
    from spokes.notifications.models import OutboxMail
    from sqlalchemy import func, select

    req = make_request(world["dhu"])
    client = client_for(world["clerk"])
    mails = db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one()
    assert client.post(f"/staff/requests/{req.id}/note", data={"note-body": "Trưởng ấp xác nhận."}).status_code == 302
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == mails
    assert client.post(f"/staff/requests/{req.id}/message", data={"message-body": "Đang tổng hợp."}).status_code == 302
    assert db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one() == mails + 1
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    notes = page.index('id="notes-title"')
    conversation = page.index('id="conversation-title"')
    assert notes < page.index("Trưởng ấp xác nhận.") < conversation < page.index("Đang tổng hợp.")


@pytest.mark.parametrize(("action", "data", "message"), [
    ("note", {"note-body": "   "}, "Vui lòng điền mục này."),
    ("reassign", {"reassign-assignee": "", "reassign-reason": "x"}, "Vui lòng điền mục này."),
    ("reopen", {"reopen-reason": ""}, "Vui lòng điền mục này."),
    ("extend", {"extend-amount": "abc", "extend-reason": "Cần thêm"}, "Vui lòng nhập một số nguyên."),
    ("extend", {"extend-amount": "0", "extend-reason": "Cần thêm"}, "Nhập một số từ 1 đến 365."),
    ("transfer", {"transfer-to_unit": "999999", "transfer-reason": "x"}, "Lựa chọn không hợp lệ."),
    ("withdraw", {"withdraw-reason": "x" * 2001}, "Tối đa 2000 ký tự."),
    ("authorise", {"authorise-user": "", "authorise-title": "", "authorise-document_number": "",
                   "authorise-document_date": "", "authorise-valid_to": ""}, "Vui lòng điền mục này."),
])
def test_plain_validation_problems_rerender_the_page_with_400(action, data, message, world, make_request, client_for,
                                                               audit_count):
    req = make_request(world["dhu"], subject="Trang yêu cầu vẫn hiện")
    events = audit_count()
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/{action}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and "Trang yêu cầu vẫn hiện" in page and f'id="panel-{action}" open' in page
    assert audit_count() == events


def test_service_validation_errors_are_shown_inline(world, make_request, client_for, audit_count):
    req = make_request(world["dhu"])
    events = audit_count()
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/authorise", data={
        "authorise-user": str(world["deputy"].id), "authorise-title": "Phó Chủ tịch",
        "authorise-document_number": "1/GUQ", "authorise-document_date": "01/01/2020",
        "authorise-valid_to": "02/01/2020"})
    assert response.status_code == 400
    assert "Ngày hết hạn ủy quyền phải từ hôm nay trở đi." in response.get_data(as_text=True)
    assert audit_count() == events


def test_reassign_to_someone_outside_the_unit_is_refused(world, make_request, client_for):
    req = make_request(world["dhu"])
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/reassign", data={
        "reassign-assignee": str(world["users"][("spokesperson", "other")].id), "reassign-reason": "Thử."})
    assert response.status_code == 400
    db.session.expire_all()
    assert req.assignee_id == world["chair"].id


def test_attachment_of_another_request_is_404(world, make_request, client_for):
    mine = make_request(world["dhu"])
    theirs = make_request(world["vk"])
    att = attachments.store(io.BytesIO(b"%PDF-1.4\n"), "bi-mat.pdf", max_bytes=100, allowed=attachments.STAFF_KINDS,
                            purpose="evidence", request_id=theirs.id)
    db.session.commit()
    response = client_for(world["chair"]).get(f"/staff/requests/{mine.id}/attachments/{att.id}")
    assert response.status_code == 404
    assert client_for(world["chair"]).get(f"/staff/requests/{mine.id}/attachments/999").status_code == 404


def test_every_staff_endpoint_with_an_id_hides_other_units(app: Flask, world, make_request, client_for, audit_count):
    """Walk the URL map, so an endpoint added later cannot forget the object check."""
    theirs = make_request(world["vk"], subject="Chuyện nội bộ xã Vân Khánh")
    att = attachments.store(io.BytesIO(b"%PDF-1.4\n"), "x.pdf", max_bytes=100, allowed=attachments.STAFF_KINDS,
                            purpose="evidence", request_id=theirs.id)
    db.session.commit()
    events = audit_count()
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("press_requests.") and "request_id" in r.arguments]
    assert len(rules) >= 15
    for user in (world["chair"], world["clerk"], world["deputy"], world["office"]):
        client = client_for(user)
        if user is world["office"]:
            continue  # the district office oversees Vân Khánh too; see the other-district overseer below
        for rule in rules:
            url = rule.build({"request_id": theirs.id, "attachment_id": att.id})[1]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(url, method=method, data={})
                assert response.status_code in (403, 404), (rule.rule, method, response.status_code)
                assert "Chuyện nội bộ xã Vân Khánh" not in response.get_data(as_text=True)
                response.close()
    outsider = client_for(world["users"][("overseer", "other")])
    for rule in rules:
        url = rule.build({"request_id": theirs.id, "attachment_id": att.id})[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = outsider.open(url, method=method, data={})
            assert response.status_code in (403, 404)
            response.close()
    assert audit_count() == events


def test_unknown_request_is_404(world, client_for):
    assert client_for(world["chair"]).get("/staff/requests/424242").status_code == 404


def test_timeline_lists_actions_with_labels_actor_and_details(world, make_request, client_for):
    req = make_request(world["dhu"], actor=world["clerk"])
    chair = client_for(world["chair"])
    chair.post(f"/staff/requests/{req.id}/reassign", data={
        "reassign-assignee": str(world["deputy"].id), "reassign-reason": "Phó Chủ tịch phụ trách giao thông."})
    chair.post(f"/staff/requests/{req.id}/extend", data={"extend-amount": "2", "extend-reason": "Cần số liệu của huyện."})
    page = chair.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline-title"'):]
    for text in ("Tiếp nhận yêu cầu", "Giao xử lý", "Gia hạn", "Phó Chủ tịch phụ trách giao thông.",
                 "Cần số liệu của huyện.", world["clerk"].name, world["chair"].name, world["deputy"].name,
                 "Hệ thống" if False else "Giao tự động"):
        assert text in timeline, text
    history = page[page.index('id="assignments-title"'):page.index('id="timeline-title"')]
    assert "Phó Chủ tịch phụ trách giao thông." in history and "Giao tự động cho người phát ngôn" in history
    assert timeline.index("Tiếp nhận yêu cầu") < timeline.index("Gia hạn")


def test_authorised_deputy_cannot_authorise_further(world, make_request, client_for):
    req = make_request(world["dhu"])
    assert client_for(world["chair"]).post(f"/staff/requests/{req.id}/authorise", data={
        "authorise-user": str(world["deputy"].id), "authorise-title": "Phó Chủ tịch",
        "authorise-document_number": "12/GUQ-UBND", "authorise-document_date": today_vn().isoformat(),
        "authorise-valid_to": (today_vn() + timedelta(days=3)).isoformat()}).status_code == 302
    db.session.expire_all()
    assert req.assignee_id == world["deputy"].id
    deputy = client_for(world["deputy"])
    page = deputy.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert 'id="panel-authorise"' not in page and 'id="panel-draft"' in page
    response = deputy.post(f"/staff/requests/{req.id}/authorise", data={
        "authorise-user": str(world["clerk"].id), "authorise-title": "Văn thư",
        "authorise-document_number": "13/GUQ", "authorise-document_date": today_vn().isoformat(),
        "authorise-valid_to": (today_vn() + timedelta(days=3)).isoformat()})
    assert response.status_code == 403


def test_message_kind_labels_do_not_leak_notes_to_journalist_page(world, make_request):
    req = make_request(world["dhu"])
    svc.add_message(world["clerk"], req, MessageKind.INTERNAL_NOTE, "Chỉ nội bộ")
    db.session.commit()
    from spokes.audit.models import AuditEvent
    from sqlalchemy import select

    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "message.internal_note")).scalar_one()
    assert event.public is False


def test_article_link_is_only_a_link_when_it_is_a_web_address(world, make_request, client_for):
    good = make_request(world["dhu"], article_url="https://baokiengiang.vn/bai-viet-123.html")
    bad = make_request(world["dhu"], article_url="javascript://x%0aalert(1)")  # e.g. from an older import
    client = client_for(world["chair"])
    assert 'href="https://baokiengiang.vn/bai-viet-123.html"' in client.get(f"/staff/requests/{good.id}").get_data(as_text=True)
    page = client.get(f"/staff/requests/{bad.id}").get_data(as_text=True)
    assert "javascript://x%0aalert(1)" in page and 'href="javascript' not in page


def test_request_page_costs_a_fixed_number_of_queries_however_much_history(world, make_request, client_for):
    """The richest view (the head, with every action open) stays within 15 queries, and does
    not grow with notes, messages, history, extensions or transfers (no N+1)."""
    head = world["chair"]
    req = make_request(world["dhu"])
    svc.save_draft(world["deputy"], req, svc.DraftData(body="Dự thảo **đầu tiên**."))
    db.session.commit()
    client = client_for(head)
    url, ids = f"/staff/requests/{req.id}", (req.id, head.id, world["deputy"].id)
    client.get(url)  # warm up: the login's own queries are not the page's
    few, _page = count_queries(client, url, from_scratch=True)
    req = db.session.get(type(req), ids[0])
    head, deputy = db.session.get(type(head), ids[1]), db.session.get(type(head), ids[2])
    for i in range(6):
        svc.add_message(head, req, MessageKind.INTERNAL_NOTE, f"Ghi chú {i}")
        svc.add_message(deputy, req, MessageKind.TO_JOURNALIST, f"Tin nhắn {i}")
        svc.save_draft(deputy if i % 2 else head, req, svc.DraftData(body=f"Dự thảo lần {i}."))
    db.session.commit()
    many, _page = count_queries(client, url, from_scratch=True)
    assert many == few
    assert many <= 15


def test_a_full_disk_on_draft_attachments_stores_neither_file_nor_draft(world, make_request, client_for, app,
                                                                         monkeypatch, tmp_path):
    import errno

    from sqlalchemy import func, select

    from spokes.press_requests.answer_models import Answer

    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    written = []
    real_fsync = attachments.os.fsync

    def second_file_fails(fd: int) -> None:
        written.append(fd)
        if len(written) == 2:
            raise OSError(errno.EROFS, "Read-only file system")
        real_fsync(fd)

    monkeypatch.setattr(attachments.os, "fsync", second_file_fails)
    req = make_request(world["dhu"])
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/draft", data={
        "draft-kind": "answer", "draft-form": "written", "draft-body": "Nội dung giữ lại trên biểu mẫu.",
        "draft-attachments": [(io.BytesIO(b"%PDF-1.4\n"), "mot.pdf"), (io.BytesIO(b"%PDF-1.4\n"), "hai.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "hai.pdf" in page and "không lưu được tệp" in page
    assert "Nội dung giữ lại trên biểu mẫu." in page
    assert list(folder.iterdir()) == []  # the first file is removed too: all or nothing
    assert db.session.execute(select(func.count()).select_from(attachments.Attachment)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0
