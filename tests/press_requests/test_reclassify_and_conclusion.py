"""Issue 15: staff reclassify a request (the clock restarts from the original receipt) and record
the conclusion of a forwarded complaint or denunciation, whose sending is a tracked milestone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.auth.permissions import Permission
from spokes.deadlines.calendar import VN_TZ
from spokes.extensions import db
from spokes.letters.services import facts_for
from spokes.notifications.models import OutboxMail
from spokes.portal.services import public_timeline
from spokes.press_requests import workflow
from spokes.press_requests.models import PressRequest
from spokes.press_requests.workflow import Action, State


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def end_of_day(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time(23, 59, 59), tzinfo=VN_TZ).astimezone(UTC)


def _events(req: PressRequest, action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(
        AuditEvent.object_type == "request", AuditEvent.object_id == req.id, AuditEvent.action == action)).scalars())


# --------------------------------------------------------------------------- the pure core


@pytest.mark.parametrize("state", sorted(workflow.OPEN))
def test_reclassify_keeps_an_open_state_and_needs_the_routing_right(state):
    assert workflow.next_state(state, Action.RECLASSIFY) == state
    allowed = workflow.check(state, Action.RECLASSIFY, permissions={Permission.TRANSFER}, approval_required=True,
                             is_head=False)
    assert allowed.allowed and allowed.next_state == state
    spokesperson = workflow.check(state, Action.RECLASSIFY, permissions={Permission.DRAFT_ANSWER},
                                  approval_required=True, is_head=False)
    assert (spokesperson.allowed, spokesperson.reason) == (False, "permission")


@pytest.mark.parametrize("state", sorted(workflow.CLOSED))
def test_a_closed_request_is_not_reclassified(state):
    assert workflow.next_state(state, Action.RECLASSIFY) is None
    assert workflow.check(state, Action.RECLASSIFY, permissions={Permission.TRANSFER}, approval_required=False,
                          is_head=True).reason == "table"
    assert State(state) in workflow.CLOSED


# --------------------------------------------------------------------------- reclassification through the app


@pytest.fixture()
def info_request(world, make_request, frozen_clock):
    frozen_clock(vn(2026, 10, 8, 10, 0))  # Thursday
    # Received Tue 06/10/2026 09:00 as information: 5 working days → Tue 13/10/2026.
    req = make_request(world["dhu"], actor=world["clerk"], received_at=vn(2026, 10, 6, 9, 0))
    assert req.due_at == end_of_day(2026, 10, 13)
    return req


def test_head_reclassifies_and_the_clock_restarts_from_the_original_receipt(world, info_request, client_for):
    req = info_request
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/reclassify", data={
        "reclassify-version": str(req.version), "reclassify-type": "press_answer",
        "reclassify-reason": "Đã nhận văn bản yêu cầu của Tổng biên tập Báo Kiên Giang."})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    # press_answer: 30 calendar days from the receipt on 06/10, not from today (08/10).
    assert (req.type, req.due_at) == ("press_answer", end_of_day(2026, 11, 5))
    assert req.clock_started_at == vn(2026, 10, 6, 9, 0)
    assert req.deadline_explanation["rule"]["request_type"] == "press_answer"
    [event] = _events(req, "request.reclassify")
    assert event.public and event.before["type"] == "information"
    assert event.after["old_type"] == "information" and event.after["type"] == "press_answer"
    assert event.after["type_labels"] == {
        "old": {"vi": "Cung cấp thông tin, tài liệu", "en": event.after["type_labels"]["old"]["en"]},
        "new": {"vi": "Yêu cầu trả lời trên báo chí", "en": event.after["type_labels"]["new"]["en"]}}
    assert event.after["type_labels"]["new"]["en"] != "Yêu cầu trả lời trên báo chí"  # translated
    # Both deadlines stay in the audit trail.
    assert "2026-10-13T16:59:59" in str(event.after["old_due_at"])
    assert "2026-11-05T16:59:59" in str(event.after["new_due_at"])
    # The journalist sees the honest result on the tracking page.
    [entry] = [e for e in public_timeline(req) if e.title == "Đổi loại yêu cầu"]
    shown = dict(entry.lines)
    assert shown["Loại cũ"] == "Cung cấp thông tin, tài liệu" and shown["Loại mới"] == "Yêu cầu trả lời trên báo chí"
    assert shown["Hạn trả lời mới"] == "05/11/2026 23:59"
    # Staff see both types in the history.
    page = client_for(world["chair"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Cung cấp thông tin, tài liệu → Yêu cầu trả lời trên báo chí" in page
    # The journalist is told by e-mail: the new type, both due dates and the reason.
    [mail] = db.session.execute(select(OutboxMail).where(OutboxMail.kind == "journalist.reclassified")).scalars()
    assert mail.to_address == req.journalist.email and req.reference in mail.subject
    text = mail.body_text
    assert "“Cung cấp thông tin, tài liệu” sang loại “Yêu cầu trả lời trên báo chí”" in text
    assert "13/10/2026 23:59" in text and "05/11/2026 23:59" in text and "Tổng biên tập Báo Kiên Giang" in text


def test_reclassification_is_checked_on_the_server(world, info_request, client_for, audit_count):
    req = info_request
    before = audit_count()
    url = f"/staff/requests/{req.id}/reclassify"
    good = {"reclassify-version": str(req.version), "reclassify-type": "press_answer", "reclassify-reason": "Có văn bản."}
    # A spokesperson, a clerk and another commune's head may not.
    assert client_for(world["deputy"]).post(url, data=good).status_code == 403
    assert client_for(world["clerk"]).post(url, data=good).status_code == 403
    assert client_for(world["users"][("head", "other")]).post(url, data=good).status_code == 404
    chair = client_for(world["chair"])
    assert chair.post(url, data={**good, "reclassify-reason": ""}).status_code == 400
    assert chair.post(url, data={**good, "reclassify-type": "nonsense"}).status_code == 400
    assert chair.post(url, data={**good, "reclassify-type": "information"}).status_code == 400  # the same type
    # A page that showed an older version is told the request changed.
    assert chair.post(url, data={**good, "reclassify-version": str(req.version - 1)}).status_code == 409
    assert audit_count() == before
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).type == "information"


# --------------------------------------------------------------------------- the conclusion


@pytest.fixture()
def denunciation(world, make_request, frozen_clock):
    frozen_clock(vn(2026, 10, 15, 16, 0))  # Thursday
    return make_request(world["dhu"], actor=world["clerk"], type="forwarded_denunciation", channel="letter",
                        received_at=vn(2026, 10, 6, 9, 0))


def test_recording_the_conclusion_starts_the_five_working_day_milestone(world, denunciation, client_for):
    req = denunciation
    # 7 working days to accept (Luật Tố cáo 2018, unverified): Thu 15/10/2026.
    assert req.due_at == end_of_day(2026, 10, 15)
    chair = client_for(world["chair"])
    response = chair.post(f"/staff/requests/{req.id}/conclusion", data={
        "conclude-version": str(req.version), "conclude-concluded_on": "15/10/2026",
        "conclude-document": "15/KL-UBND", "conclude-summary": "Nội dung tố cáo đúng một phần."})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    assert req.conclusion_at == vn(2026, 10, 15, 0, 0)
    assert req.conclusion_due_at == end_of_day(2026, 10, 22)
    assert (req.conclusion_document, req.conclusion_summary) == ("15/KL-UBND", "Nội dung tố cáo đúng một phần.")
    page = chair.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "Kết luận giải quyết" in page and "22/10/2026 23:59" in page and "15/KL-UBND" in page
    # Letters (issue 21) read the recorded conclusion.
    facts = facts_for(req)
    assert (facts.conclusion_on, facts.conclusion_document, facts.conclusion_summary) == (
        date(2026, 10, 15), "15/KL-UBND", "Nội dung tố cáo đúng một phần.")
    # Sending it closes the milestone and the journalist sees it.
    response = chair.post(f"/staff/requests/{req.id}/conclusion/sent", data={"conclusion_sent-version": str(req.version)})
    assert response.status_code == 302
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    assert req.conclusion_sent_at == vn(2026, 10, 15, 16, 0)
    assert any(e.title == "Đã gửi kết luận giải quyết cho cơ quan báo chí" for e in public_timeline(req))
    # Nothing more to record once sent.
    assert chair.post(f"/staff/requests/{req.id}/conclusion/sent", data={}).status_code == 409


def test_conclusion_input_is_checked(world, denunciation, make_request, client_for):
    req = denunciation
    url = f"/staff/requests/{req.id}/conclusion"
    good = {"conclude-concluded_on": "15/10/2026", "conclude-document": "15/KL-UBND", "conclude-summary": "Kết luận."}
    assert client_for(world["clerk"]).post(url, data=good).status_code == 403
    chair = client_for(world["chair"])
    assert chair.post(url, data={**good, "conclude-concluded_on": "16/10/2026"}).status_code == 400  # future
    assert chair.post(url, data={**good, "conclude-concluded_on": "01/10/2026"}).status_code == 400  # before receipt
    assert chair.post(url, data={**good, "conclude-document": ""}).status_code == 400
    assert chair.post(f"/staff/requests/{req.id}/conclusion/sent", data={}).status_code == 409  # nothing recorded
    info = make_request(world["dhu"], actor=world["clerk"])
    assert chair.post(f"/staff/requests/{info.id}/conclusion", data=good).status_code == 409
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).conclusion_at is None
