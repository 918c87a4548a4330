"""What a journalist receives never over-claims: no unverified (U) citation, no admin wording,
and "theo quy định" only for a statutory duty whose source was read."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from spokes.deadlines.explain import render_step, render_steps
from spokes.deadlines.models import RefusalGround, Rule
from spokes.extensions import db
from spokes.notifications.models import OutboxMail
from spokes.press_requests import services as svc
from spokes.press_requests.models import PressRequest

from tests.deadlines.explain_migration import explanation_migration

from .helpers import PDF, form_data, token_from

# The wording a journalist must never see.
ADMIN_WORDS = ("quản trị viên", "Độ tin cậy", "độ tin cậy", "chưa kiểm chứng, ")
# "theo quy định" right before or after an internal target is the over-claim item 5 forbids.
OVERCLAIM = re.compile(r"theo quy định[^.<\n]{0,80}chỉ tiêu nội bộ|chỉ tiêu nội bộ[^.<\n]{0,80}theo quy định",
                       re.IGNORECASE)


def _u_citations() -> list[str]:
    """Return every unverified citation text and source stored (rules and refusal grounds)."""
    texts = []
    for rule in db.session.execute(select(Rule).where(Rule.confidence == "U")).scalars():
        texts.append(rule.citation_text)
        if rule.statutory:  # an internal target's "source" is just the words "chỉ tiêu nội bộ"
            texts.append(rule.citation_source)
    for ground in db.session.execute(select(RefusalGround).where(RefusalGround.confidence == "U")).scalars():
        texts.append(ground.source)
    return texts


def _assert_clean(where: str, text: str) -> None:
    for word in ADMIN_WORDS:
        assert word not in text, (where, word)
    for citation in _u_citations():
        assert citation not in text, (where, citation)
    assert not OVERCLAIM.search(text), (where, OVERCLAIM.search(text).group(0))


def test_public_pages_feeds_api_and_mails_carry_no_unverified_law(app, client, commune, clock):
    pages: dict[str, str] = {}
    # An internal target (information) and a statutory duty (press_answer) through the form.
    # press_answer comes with the agency's document; forwarded_denunciation without it is logged as
    # information and the journalist is told why (issue 15, item 6).
    for type_ in ("information", "press_answer", "forwarded_denunciation"):
        extra = {"agency_document": (io.BytesIO(PDF), "yeu-cau.pdf")} if type_ == "press_answer" else {}
        response = client.post("/ask", data=form_data(commune["dhu"], type=type_, subject=f"Câu hỏi {type_}", **extra))
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        pages[f"confirmation {type_}"] = body
        pages[f"track {type_}"] = client.get(f"/track/{token_from(body)}").get_data(as_text=True)
    assert "nên câu hỏi được ghi nhận là" in pages["confirmation forwarded_denunciation"]
    assert "nên câu hỏi được ghi nhận là" in pages["track forwarded_denunciation"]
    assert "Thời hạn trả lời theo quy định" in pages["confirmation press_answer"]
    assert "Thời hạn trả lời theo quy định" not in pages["confirmation information"]
    assert "chỉ tiêu nội bộ của đơn vị" in pages["confirmation information"]

    # A refusal on the unverified ground (d): its text reaches the journalist, its citation does not.
    req = db.session.execute(select(PressRequest).where(
        PressRequest.type == "information", PressRequest.requested_type.is_(None))).scalar_one()
    ground_d = db.session.execute(select(RefusalGround).where(
        RefusalGround.rulebook_id == req.rulebook_id, RefusalGround.code == "d")).scalar_one()
    if req.state == "received":
        svc.transition(commune["chair"], req, svc.Action.ASSIGN, assignee=commune["chair"])
    svc.save_draft(commune["chair"], req, svc.DraftData(kind="refusal", refusal_ground_id=ground_d.id,
                                                         refusal_reason="Đề án đang soạn thảo."))
    svc.send_directly(commune["chair"], req) if not req.unit.approval_required else (
        svc.submit_draft(commune["chair"], req), svc.approve(commune["chair"], req))
    db.session.commit()
    assert req.state == "refused"
    track = client.get(f"/track/{token_from(pages['confirmation information'])}").get_data(as_text=True)
    assert ground_d.text in track
    pages["track refused"] = track

    # Staff reclassify the denunciation once the forwarded item arrives (an unverified acceptance
    # period, U) and record and send its conclusion: the tracking page shows both.
    logged = db.session.execute(select(PressRequest).where(
        PressRequest.requested_type == "forwarded_denunciation")).scalar_one()
    clock(datetime(2026, 7, 10, 2, 0, tzinfo=UTC))  # under the 2025 rulebook
    svc.reclassify(commune["chair"], logged, "forwarded_denunciation", "Báo đã chuyển đơn tố cáo bằng văn bản.")
    svc.record_conclusion(commune["chair"], logged, svc.ConclusionData(date(2026, 7, 9), "15/KL-UBND", "Kết luận."))
    svc.mark_conclusion_sent(commune["chair"], logged)
    db.session.commit()
    denunciation_track = client.get(f"/track/{token_from(pages['confirmation forwarded_denunciation'])}")
    pages["track reclassified"] = denunciation_track.get_data(as_text=True)
    assert "Đổi loại yêu cầu" in pages["track reclassified"]
    assert "nên câu hỏi được ghi nhận là" not in pages["track reclassified"]  # settled by staff
    assert "Đã gửi kết luận giải quyết cho cơ quan báo chí" in pages["track reclassified"]

    # The public calculator for every type, before and after 01/07/2026 and in an estimated year.
    for day in ("10/03/2026", "10/08/2026", "10/03/2027"):
        for type_ in ("information", "interview", "press_answer", "forwarded_feedback", "forwarded_complaint",
                      "forwarded_denunciation", "emergency"):
            response = client.get("/deadline", query_string={"type": type_, "received_date": day,
                                                             "received_time": "09:00"})
            assert response.status_code == 200
            pages[f"calculator {type_} {day}"] = response.get_data(as_text=True)
    assert "dự kiến" in pages["calculator information 10/03/2027"]

    for path in ("/", "/feed.atom", "/feed.rss", "/api/v1/items", "/api/v1/units", "/api/v1/spokespersons",
                 f"/api/v1/requests/{req.reference}", "/spokespersons"):
        response = client.get(path)
        pages[path] = response.get_data(as_text=True)

    for name, text in pages.items():
        _assert_clean(name, text)
    mails = [m for m in db.session.execute(select(OutboxMail)).scalars() if m.to_address.endswith("@baokg.vn")]
    assert any("từ chối" in m.subject for m in mails) and len(mails) >= 3  # two receipts and the refusal
    for mail in mails:
        _assert_clean(f"mail {mail.subject}", f"{mail.subject}\n{mail.body_text}\n{mail.body_html or ''}")
    assert any("chỉ tiêu nội bộ của đơn vị" in m.body_text for m in mails)


def test_unverified_explanations_stored_before_the_fix_are_cleaned_for_the_public(app, client, commune, clock):
    """A request stored with the old wording (confidence label and U source in the steps)."""
    response = client.post("/ask", data=form_data(commune["dhu"], type="information"))
    body = response.get_data(as_text=True)
    req = db.session.execute(select(PressRequest)).scalar_one()
    old = dict(req.deadline_explanation)
    old.pop("statutory", None)
    old["steps"] = [render_step(old["steps"][0]), "Áp dụng QĐ 1430/2017: Cung cấp thông tin — 5 ngày làm việc "
                    "(Chỉ tiêu nội bộ; độ tin cậy U: chưa kiểm chứng, quản trị viên có thể sửa).",
                    *render_steps(old["steps"][2:])]
    # As the migration to explanations stored as data left it.
    req.deadline_explanation = explanation_migration().to_data(old)
    assert req.deadline_explanation["steps"][1]["code"] == "rule"
    db.session.commit()
    page = client.get(f"/track/{token_from(body)}").get_data(as_text=True)
    _assert_clean("track (old explanation)", page)
    assert "5 ngày làm việc (chỉ tiêu nội bộ của đơn vị)" in page
