"""Publishing an answer: prefill, who may publish, when, once; public files."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from spokes.extensions import db
from spokes.attachments import store as attachments
from spokes.press_requests import services as svc
from spokes.publishing.models import Publication
from spokes.press_requests.answer_models import Answer

from .helpers import PDF, answer, content_form, publish


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(Publication)).scalar_one()


def test_prefill_names_the_journalist_only_with_consent(world, answered, client_for):
    hidden = answered(journalist_name="Trần Văn Kín", agency="Báo Tuổi Trẻ")
    shown = answered(journalist_name="Ngô Thị Hạnh", agency="Đài PT-TH Kiên Giang", subject="Mô hình tôm lúa")
    shown.consent_publish_name = True  # consent is given per request (issue 17)
    db.session.commit()
    staff = client_for(world["deputy"])

    page = staff.get(f"/staff/publications/new?request_id={hidden.id}").get_data(as_text=True)
    assert "Trần Văn Kín" not in page and "Báo Tuổi Trẻ" in page
    assert "UBND xã Đông Hưng trả lời Báo Tuổi Trẻ về" in page  # the prefilled title
    assert "Phó Chủ tịch UBND xã Đông Hưng" in page  # the speaker's designation title

    page = staff.get(f"/staff/publications/new?request_id={shown.id}").get_data(as_text=True)
    assert "Ngô Thị Hạnh" in page
    pub = publish(world["deputy"], shown)
    assert pub.question_journalist == "Ngô Thị Hạnh"
    pub = publish(world["deputy"], hidden)
    assert pub.question_journalist is None


def test_body_markdown_is_sanitised(world, answered, client_for, client):
    req = answered()
    client_for(world["deputy"]).post(f"/staff/publications/new?request_id={req.id}", data=content_form(
        body="Nội dung <script>alert(1)</script> [liên kết](javascript:alert(2)) **đậm**"))
    pub = db.session.execute(select(Publication)).scalar_one()
    page = client.get(f"/news/{pub.slug}").get_data(as_text=True)
    assert "<strong>đậm</strong>" in page
    assert "<script>alert(1)" not in page and "javascript:alert" not in page


@pytest.mark.parametrize("who", ["clerk", "office", "other_chair", "admin"])
def test_only_the_units_spokesperson_or_head_may_publish(who, world, answered, client_for):
    req = answered()
    staff = client_for(world[who])
    assert staff.get(f"/staff/publications/new?request_id={req.id}").status_code == 403
    assert staff.post(f"/staff/publications/new?request_id={req.id}", data=content_form()).status_code == 403
    assert _count() == 0


def test_the_head_may_publish_too(world, answered, client_for):
    req = answered()
    response = client_for(world["chair"]).post(f"/staff/publications/new?request_id={req.id}", data=content_form())
    assert response.status_code == 302 and _count() == 1


def test_anonymous_is_sent_to_login(world, answered, client):
    req = answered()
    for url in (f"/staff/publications/new?request_id={req.id}", "/staff/publications", "/staff/duties"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.post(f"/staff/publications/new?request_id={req.id}", data=content_form()).status_code == 302
    assert _count() == 0


def test_unknown_request_is_404(world, client_for):
    assert client_for(world["deputy"]).get("/staff/publications/new?request_id=999").status_code == 404


def test_only_an_answered_request_can_be_published(world, make_request, client_for):
    req = make_request(world["dhu"])
    svc.save_draft(world["chair"], req, svc.DraftData(body="Dự thảo"))
    svc.submit_draft(world["chair"], req)
    db.session.commit()  # awaiting approval: nothing to publish yet
    staff = client_for(world["chair"])
    response = staff.get(f"/staff/publications/new?request_id={req.id}")
    assert response.status_code == 409
    assert "đã trả lời" in response.get_data(as_text=True)
    assert staff.post(f"/staff/publications/new?request_id={req.id}", data=content_form()).status_code == 409
    assert _count() == 0


def test_a_refusal_is_never_published(world, make_request, client_for):
    from spokes.deadlines.models import RefusalGround

    req = make_request(world["dhu"])
    ground = db.session.execute(
        select(RefusalGround).where(RefusalGround.rulebook_id == req.rulebook_id)).scalars().first()
    svc.save_draft(world["chair"], req, svc.DraftData(kind="refusal", refusal_ground_id=ground.id,
                                                      refusal_reason="Vụ việc đang thanh tra."))
    svc.send_directly(world["chair"], req)
    db.session.commit()
    assert req.state == "refused"
    assert client_for(world["chair"]).get(f"/staff/publications/new?request_id={req.id}").status_code == 409


def test_a_unit_without_approval_publishes_a_directly_sent_answer(world, make_request, make_user, client_for):
    world["vk"].approval_required = False
    db.session.commit()
    speaker = make_user("spokesperson", world["vk"], designate="designated")
    req = make_request(world["vk"])
    if req.assignee_id != speaker.id:
        svc.reassign(world["other_chair"], req, speaker, "Người phát ngôn.")
        db.session.commit()
    answer(req, speaker)
    response = client_for(speaker).post(f"/staff/publications/new?request_id={req.id}", data=content_form())
    assert response.status_code == 302 and _count() == 1


def test_a_request_is_published_once(world, answered, client_for):
    req = answered()
    staff = client_for(world["deputy"])
    staff.post(f"/staff/publications/new?request_id={req.id}", data=content_form())
    again = staff.get(f"/staff/publications/new?request_id={req.id}")
    pub = db.session.execute(select(Publication)).scalar_one()
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/news/{pub.slug}")
    assert staff.post(f"/staff/publications/new?request_id={req.id}", data=content_form()).status_code == 302
    assert _count() == 1


def test_invalid_form_is_rerendered_with_errors(world, answered, client_for):
    req = answered()
    response = client_for(world["deputy"]).post(f"/staff/publications/new?request_id={req.id}",
                                                data=content_form(title="", body="x" * 50_001))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Vui lòng nhập tiêu đề." in page and "Nội dung tối đa 50000 ký tự." in page
    assert 'aria-invalid="true"' in page
    assert _count() == 0


def test_answer_public_files_go_with_the_item_and_private_ones_do_not(world, answered, client_for, client):
    req = answered()
    final = db.session.execute(select(Answer).where(Answer.request_id == req.id, Answer.status == "sent")).scalar_one()
    public = attachments.store(io.BytesIO(PDF), "ket-qua.pdf", max_bytes=10_000, allowed=("pdf",), purpose="answer",
                               request_id=req.id, answer_id=final.id, is_public=True)
    attachments.store(io.BytesIO(PDF), "noi-bo.pdf", max_bytes=10_000, allowed=("pdf",), purpose="answer",
                      request_id=req.id, answer_id=final.id, is_public=False)
    db.session.commit()
    pub = publish(world["deputy"], req)
    page = client.get(f"/news/{pub.slug}").get_data(as_text=True)
    assert "ket-qua.pdf" in page and "noi-bo.pdf" not in page
    download = client.get(f"/news/{pub.slug}/files/{public.id}")
    body = download.data
    download.close()
    assert download.status_code == 200 and body == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    private_id = public.id + 1
    assert client.get(f"/news/{pub.slug}/files/{private_id}").status_code == 404


def test_a_statement_can_carry_an_uploaded_file(world, client_for, client):
    response = client_for(world["deputy"]).post("/staff/publications/new", data={
        **content_form(title="Thông tin định kỳ quý I/2026"), "unit_id": world["dhu"].id, "kind": "periodic",
        "attachment": (io.BytesIO(PDF), "bao-cao.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    pub = db.session.execute(select(Publication)).scalar_one()
    assert "bao-cao.pdf" in client.get(f"/news/{pub.slug}").get_data(as_text=True)


def test_a_rejected_upload_is_a_form_error(world, client_for):
    response = client_for(world["deputy"]).post("/staff/publications/new", data={
        **content_form(), "unit_id": world["dhu"].id, "kind": "periodic",
        "attachment": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _count() == 0


def test_staff_pages_are_never_cached(world, answered, client_for):
    req = answered()
    staff = client_for(world["deputy"])
    for url in ("/staff/publications", f"/staff/publications/new?request_id={req.id}", "/staff/duties"):
        assert staff.get(url).headers["Cache-Control"] == "no-store", url


def test_staff_list_offers_the_answers_not_yet_published(world, answered, make_request, client_for):
    waiting = answered(subject="Chờ đăng tin")
    still_open = make_request(world["dhu"], subject="Chưa trả lời")
    staff = client_for(world["deputy"])
    page = staff.get("/staff/publications").get_data(as_text=True)
    assert "Chờ đăng tin" in page and f"/staff/publications/new?request_id={waiting.id}" in page
    assert still_open.subject not in page
    assert "Tin đăng" in page  # the staff menu entry
    publish(world["deputy"], waiting)
    page = staff.get("/staff/publications").get_data(as_text=True)
    assert f"/staff/publications/new?request_id={waiting.id}" not in page
    assert "Tin đăng" not in client_for(world["clerk"]).get("/staff/").get_data(as_text=True)
