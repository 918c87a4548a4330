"""The issue's "done when", tried as a new user would with the demo logins, through HTTP only."""

from __future__ import annotations

import re

from sqlalchemy import select

from spokes.admin.demo import DEMO_PASSWORD, seed_demo
from spokes.audit.services import verify_chain
from spokes.deadlines.models import RefusalGround
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.units.models import Unit

CLERK = "vanthu.anminh@angiang.demo"
CHAIR = "chutich.anminh@angiang.demo"
DEPUTY = "phatngon.anminh@angiang.demo"
VHTT_SPEAKER = "phatngon.vhttdl@angiang.demo"


def _client(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, email
    return client


def _log_phone_request(clerk, unit_id, subject, questions):
    form = clerk.get("/staff/requests/new")
    assert form.status_code == 200
    response = clerk.post("/staff/requests/new", data={
        "unit": str(unit_id), "journalist_name": "Trần Văn Nam", "agency": "Báo và Phát thanh, Truyền hình An Giang",
        "email": "nam@baoangiang.vn", "phone": "0912 345 678", "type": "information", "channel": "phone",
        "subject": subject, "questions": questions})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = clerk.get(response.headers["Location"]).get_data(as_text=True)
    flash = re.search(r'class="alert alert-success">([^<]+)<', page).group(1)
    request_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return request_id, flash


def test_demo_scenario_end_to_end(app):
    seed_demo()
    db.session.commit()
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    clerk, chair, deputy = _client(app, CLERK), _client(app, CHAIR), _client(app, DEPUTY)

    # 1. The clerk logs a phone request for xã An Minh.
    rid, flash = _log_phone_request(clerk, units["AG-ANMINH"].id, "Sạt lở bờ kênh Xẻo Nhàu ấp Xẻo Quao",
                                    "Xin cho biết chiều dài đoạn sạt lở và phương án khắc phục.")
    req = db.session.get(PressRequest, rid)
    assert req.reference in flash and "Hạn trả lời" in flash

    # 2. It appears in the chair's queue with its deadline.
    from spokes.core.jinja import vn_datetime

    queue = chair.get("/staff/requests/?tab=unit").get_data(as_text=True)
    row = queue[queue.index(req.reference):]
    assert vn_datetime(req.due_at) in row[:3000]

    # 3. It went at once to the deputy, the commune's designated spokesperson, who drafts and submits.
    assert req.assignee.email == DEPUTY
    assert deputy.post(f"/staff/requests/{rid}/draft", data={
        "draft-kind": "answer", "draft-form": "written",
        "draft-body": "Đoạn sạt lở dài khoảng 120 m."}).status_code == 302
    assert deputy.post(f"/staff/requests/{rid}/submit").status_code == 302

    # 4. The chair returns it once…
    assert chair.post(f"/staff/requests/{rid}/return", data={
        "return-comment": "Bổ sung phương án và kinh phí khắc phục."}).status_code == 302
    assert "Bổ sung phương án và kinh phí khắc phục." in deputy.get(f"/staff/requests/{rid}").get_data(as_text=True)
    # …the deputy redrafts and submits again…
    assert deputy.post(f"/staff/requests/{rid}/draft", data={
        "draft-kind": "answer", "draft-form": "written",
        "draft-body": "Đoạn sạt lở dài khoảng 120 m; xã gia cố bằng cừ tràm, kinh phí 350 triệu đồng."}).status_code == 302
    assert deputy.post(f"/staff/requests/{rid}/submit").status_code == 302
    # …and the chair approves.
    assert chair.post(f"/staff/requests/{rid}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(PressRequest, rid).state == "answered"

    # 5. The timeline shows every step.
    page = chair.get(f"/staff/requests/{rid}").get_data(as_text=True)
    timeline = page[page.index('id="timeline-title"'):]
    steps = ["Tiếp nhận yêu cầu", "Giao xử lý", "Soạn, cập nhật dự thảo", "Trình duyệt dự thảo",
             "Trả lại dự thảo", "Soạn, cập nhật dự thảo", "Trình duyệt dự thảo", "Duyệt và gửi trả lời"]
    labels = re.findall(r"<strong>([^<]+)</strong>", timeline)
    assert labels == steps
    assert "kinh phí 350 triệu đồng" in page

    # 6. A second request is refused with a ground.
    rid2, _flash = _log_phone_request(clerk, units["AG-ANMINH"].id, "Kết quả thanh tra đất đai ấp Xẻo Quao",
                                      "Đề nghị cung cấp kết luận thanh tra.")
    req2 = db.session.get(PressRequest, rid2)
    ground = db.session.execute(select(RefusalGround).where(
        RefusalGround.rulebook_id == req2.rulebook_id, RefusalGround.code == "c")).scalar_one()
    # The chair takes this one himself.
    assert chair.post(f"/staff/requests/{rid2}/reassign", data={
        "reassign-assignee": str(_user_id(CHAIR)),
        "reassign-reason": "Chủ tịch UBND xã trực tiếp trả lời vụ việc thanh tra."}).status_code == 302
    assert chair.post(f"/staff/requests/{rid2}/draft", data={
        "draft-kind": "refusal", "draft-form": "written", "draft-refusal_ground": str(ground.id),
        "draft-refusal_reason": "Vụ việc đang thanh tra, chưa có kết luận."}).status_code == 302
    assert chair.post(f"/staff/requests/{rid2}/send").status_code == 302  # the head may send directly
    db.session.expire_all()
    req2 = db.session.get(PressRequest, rid2)
    assert req2.state == "refused" and req2.refusal_ground_id == ground.id
    page = chair.get(f"/staff/requests/{rid2}").get_data(as_text=True)
    assert ground.text[:40] in page and "Vụ việc đang thanh tra, chưa có kết luận." in page

    # 7. A third is transferred to Sở Văn hóa, Thể thao và Du lịch, whose spokesperson gets it.
    rid3, _flash = _log_phone_request(clerk, units["AG-ANMINH"].id, "Lễ hội Nghinh Ông 2026",
                                      "Xin kế hoạch tổ chức lễ hội.")
    assert chair.post(f"/staff/requests/{rid3}/transfer", data={
        "transfer-to_unit": str(units["AG-VHTTDL"].id),
        "transfer-reason": "Lễ hội do Sở Văn hóa, Thể thao và Du lịch tổ chức."}).status_code == 302
    db.session.expire_all()
    req3 = db.session.get(PressRequest, rid3)
    assert req3.unit_id == units["AG-VHTTDL"].id and req3.assignee.email == VHTT_SPEAKER
    vhtt_queue = _client(app, VHTT_SPEAKER).get("/staff/requests/").get_data(as_text=True)
    assert req3.reference in vhtt_queue
    assert chair.get(f"/staff/requests/{rid3}").status_code == 200  # read-only for xã An Minh

    # 8. Every step is in the audit chain, and the chain holds.
    checked, problem = verify_chain()
    assert problem is None and checked > 30
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output


def _user_id(email):
    from spokes.auth.models import User

    return db.session.execute(select(User.id).where(User.email == email)).scalar_one()
