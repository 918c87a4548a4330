"""History you can trust: the audit chain, case authorisations that expire, transfers that
keep their history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.core.clock import VN_TZ
from spokes.extensions import db
from spokes.press_requests import services as svc
from spokes.press_requests.models import Assignment, PressRequest


def _some_history(world, make_request, bring):
    req = make_request(world["dhu"], actor=world["clerk"])
    bring(req, "answered")
    return req


def _events(req):
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq)).scalars())


def test_chain_is_intact_after_real_work(world, make_request, bring, runner):
    _some_history(world, make_request, bring)
    checked, problem = verify_chain()
    assert problem is None and checked > 5
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert f"({checked} events)" in result.output


def test_chain_detects_an_edited_row(world, make_request, bring, runner):
    req = _some_history(world, make_request, bring)
    victim = _events(req)[2]
    db.session.execute(update(AuditEvent).where(AuditEvent.id == victim.id)
                       .values(actor_label="Người khác", after={"state": "answered"}))
    db.session.commit()
    db.session.expire_all()
    _checked, problem = verify_chain()
    assert problem is not None and problem.seq == victim.seq and problem.event_id == victim.id
    assert "edited" in problem.reason
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"sự kiện số {victim.seq}" in result.output and f"event id {victim.id}" in result.output


def test_chain_detects_a_deleted_row(world, make_request, bring, runner):
    req = _some_history(world, make_request, bring)
    victim = _events(req)[3]
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == victim.id))
    db.session.commit()
    db.session.expire_all()
    _checked, problem = verify_chain()
    assert problem is not None and problem.seq == victim.seq and "deleted" in problem.reason
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"sự kiện số {victim.seq}" in result.output


def test_chain_detects_the_newest_row_deleted(world, make_request, bring, runner):
    _some_history(world, make_request, bring)
    last = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == last.id))
    db.session.commit()
    db.session.expire_all()
    _checked, problem = verify_chain()
    assert problem is not None and problem.seq == last.seq
    assert runner.invoke(args=["audit-verify"]).exit_code == 1


def test_case_authorisation_expires_and_the_request_goes_back(world, make_request, client_for, frozen_clock):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)  # a Monday
    frozen_clock(start)
    req = make_request(world["dhu"], actor=world["clerk"])
    assert req.assignee_id == world["chair"].id
    response = client_for(world["chair"]).post(f"/staff/requests/{req.id}/authorise", data={
        "authorise-user": str(world["deputy"].id), "authorise-title": "Phó Chủ tịch UBND xã",
        "authorise-document_number": "18/GUQ-UBND", "authorise-document_date": "23/11/2026",
        "authorise-valid_to": "25/11/2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).assignee_id == world["deputy"].id

    frozen_clock(start + timedelta(days=2))  # the last day of the authorisation: still in force
    assert svc.expire_case_authorisations() == 0
    frozen_clock(start + timedelta(days=3))
    assert svc.expire_case_authorisations() == 1
    db.session.commit()
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    assert req.assignee_id == world["chair"].id
    history = list(db.session.execute(select(Assignment).where(Assignment.request_id == req.id)
                                      .order_by(Assignment.id)).scalars())
    assert [a.user_id for a in history] == [world["chair"].id, world["deputy"].id, world["chair"].id]
    assert "18/GUQ-UBND" in history[-1].reason and "hết hạn" in history[-1].reason
    assert svc.expire_case_authorisations() == 0  # nothing more to hand back
    page = client_for(world["chair"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "18/GUQ-UBND đã hết hạn" in page


def test_transfer_keeps_the_history_and_leaves_a_read_only_view(world, make_request, make_user, client_for,
                                                                 audit_count):
    vhtt_speaker = make_user("spokesperson", world["vhtt"], designate="designated", name="Phạm Thị Lan")
    req = make_request(world["dhu"], actor=world["clerk"], subject="Lễ hội Nghinh Ông 2026")
    chair = client_for(world["chair"])
    chair.post(f"/staff/requests/{req.id}/note", data={"note-body": "Việc của phòng văn hóa."})
    old_due = req.due_at
    response = chair.post(f"/staff/requests/{req.id}/transfer", data={
        "transfer-to_unit": str(world["vhtt"].id), "transfer-reason": "Lễ hội do phòng Văn hóa tổ chức."})
    assert response.status_code == 302
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    assert (req.unit_id, req.state, req.assignee_id) == (world["vhtt"].id, "assigned", vhtt_speaker.id)
    assert req.transferred_from_id == world["dhu"].id
    assert req.deadline_explanation["note"] == {"code": "transferred", "unit": world["vhtt"].name}
    assert req.due_at >= old_due

    # The receiving unit sees everything that happened before.
    page = client_for(vhtt_speaker).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline-title"'):]
    for label in ("Tiếp nhận yêu cầu", "Giao xử lý", "Ghi chú nội bộ", "Chuyển đơn vị", "Lễ hội do phòng Văn hóa tổ chức."):
        assert label in timeline, label
    history = page[page.index('id="assignments-title"'):page.index('id="timeline-title"')]
    assert world["chair"].name in history and "Phạm Thị Lan" in history and world["dhu"].name in history
    assert "Việc của phòng văn hóa." in page
    assert 'id="panel-draft"' in page

    # The first unit keeps a read-only view: it can look, not act.
    events = audit_count()
    for user in (world["chair"], world["clerk"], world["deputy"]):
        client = client_for(user)
        response = client.get(f"/staff/requests/{req.id}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Đơn vị bạn chỉ được xem" in page and 'id="panel-' not in page
        assert "Lễ hội Nghinh Ông 2026" in page and "Chuyển đơn vị" in page
        for action, data in (("note", {"note-body": "Thêm"}), ("withdraw", {"withdraw-reason": "x"}),
                             ("transfer", {"transfer-to_unit": str(world["dhu"].id), "transfer-reason": "Trả lại"}),
                             ("draft", {"draft-kind": "answer", "draft-form": "written", "draft-body": "x"})):
            assert client.post(f"/staff/requests/{req.id}/{action}", data=data).status_code == 403
    assert audit_count() == events
    # Another commune never saw it and still cannot.
    assert client_for(world["users"][("head", "other")]).get(f"/staff/requests/{req.id}").status_code == 404


def test_reopen_with_reason_by_overseer(world, make_request, bring, client_for):
    req = bring(make_request(world["dhu"]), "refused")
    response = client_for(world["office"]).post(f"/staff/requests/{req.id}/reopen",
                                                data={"reopen-reason": "Kết luận thanh tra đã có."})
    assert response.status_code == 302
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    assert req.state == "drafting" and req.refusal_ground_id is None and req.refused_at is None


def test_withdraw_recorded_by_staff_keeps_the_reason(world, make_request, client_for):
    req = make_request(world["dhu"])
    response = client_for(world["clerk"]).post(f"/staff/requests/{req.id}/withdraw",
                                               data={"withdraw-reason": "Phóng viên gọi điện xin rút."})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PressRequest, req.id).state == "withdrawn"
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "request.withdraw")).scalar_one()
    assert event.after["reason"] == "Phóng viên gọi điện xin rút." and event.actor_id == world["clerk"].id


def test_timeline_times_are_vietnamese(world, make_request, client_for, frozen_clock):
    frozen_clock(datetime(2026, 11, 24, 2, 5, tzinfo=UTC))
    req = make_request(world["dhu"])
    page = client_for(world["chair"]).get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "24/11/2026 09:05" in page[page.index('id="timeline-title"'):]


def test_reopening_an_unassigned_request_assigns_it_with_its_history(world, make_request, bring):
    req = bring(make_request(world["dhu"]), "answered")
    db.session.execute(update(PressRequest).where(PressRequest.id == req.id).values(assignee_id=None))
    db.session.execute(update(Assignment).where(Assignment.request_id == req.id).values(ended_at=req.answered_at))
    db.session.expire_all()
    req = db.session.get(PressRequest, req.id)
    version = req.version
    svc.reopen(world["chair"], req, "Phóng viên hỏi thêm.")
    db.session.commit()
    current = db.session.execute(select(Assignment).where(
        Assignment.request_id == req.id, Assignment.ended_at.is_(None))).scalar_one()
    assert req.state == "drafting" and req.assignee_id == current.user_id and current.assigned_by_id == world["chair"].id
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.object_type == "request", AuditEvent.object_id == req.id).order_by(AuditEvent.seq.desc())
        .limit(1)).scalar_one()
    assert event.action == "request.reopen" and event.after["assignee_id"] == current.user_id
    assert event.after["assignee"]["name"] == current.user.name
    assert req.version == version + 1  # one transition: the reopening, which carries the new assignee


def test_an_automatic_assignment_is_a_transition_of_the_system(world, make_request):
    req = make_request(world["dhu"])
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.object_id == req.id, AuditEvent.action == "request.assign")).scalar_one()
    assert req.state == "assigned" and req.version == 2  # received, then the assignment's transition
    assert event.before["state"] == "received" and event.after["state"] == "assigned"
    assert event.after["automatic"] is True and event.public
