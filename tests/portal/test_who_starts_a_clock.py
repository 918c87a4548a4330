"""Issue 15, item 6: a web-form press_answer or forwarded item needs the press agency's document.

Without it the question is logged as ``information`` and the journalist is told why, on the
form before submitting and on the confirmation and tracking pages.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from spokes.extensions import db
from spokes.portal.services import logged_type
from spokes.attachments.models import Attachment
from spokes.press_requests.models import PressRequest

from .helpers import PDF, form_data, token_from

AGENCY_TYPES = ("press_answer", "forwarded_feedback", "forwarded_complaint", "forwarded_denunciation")


def _only_request() -> PressRequest:
    db.session.expire_all()
    [req] = db.session.execute(select(PressRequest)).scalars().all()
    return req


@pytest.mark.parametrize("type_", AGENCY_TYPES)
def test_pure_rule_needs_the_agency_document(type_):
    assert logged_type(type_, has_agency_document=False) == "information"
    assert logged_type(type_, has_agency_document=True) == type_


@pytest.mark.parametrize("type_", ["information", "interview"])
def test_pure_rule_leaves_other_types_alone(type_):
    assert logged_type(type_, has_agency_document=False) == type_


def test_form_says_why_before_submitting(client, commune):
    body = client.get("/ask").get_data(as_text=True)
    assert 'name="agency_document"' in body
    assert "nếu không gửi kèm, câu hỏi được ghi nhận là “Cung cấp thông tin, tài liệu”" in body


@pytest.mark.parametrize("type_", AGENCY_TYPES)
def test_without_the_document_the_question_is_logged_as_information_and_the_journalist_is_told(client, commune, type_):
    response = client.post("/ask", data=form_data(commune["dhu"], type=type_))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    req = _only_request()
    assert (req.type, req.requested_type) == ("information", type_)
    # Logged and counted as information: the internal target, not a statutory period.
    assert req.deadline_explanation["rule"]["request_type"] == "information"
    assert "không gửi kèm văn bản của cơ quan báo chí, nên câu hỏi được ghi nhận là “Cung cấp thông tin, tài liệu”" in body
    assert "Thời hạn trả lời theo quy định" not in body
    # The tracking page says it again.
    page = client.get(f"/track/{token_from(body)}", follow_redirects=True).get_data(as_text=True)
    assert "được ghi nhận là “Cung cấp thông tin, tài liệu”" in page


def test_with_the_document_the_clock_is_the_statutory_one_and_the_document_is_kept_private(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], type="press_answer",
                                                  agency_document=(io.BytesIO(PDF), "yeu-cau.pdf")))
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    req = _only_request()
    assert (req.type, req.requested_type) == ("press_answer", None)
    [doc] = db.session.execute(select(Attachment).where(Attachment.request_id == req.id)).scalars().all()
    assert (doc.purpose, doc.is_public, doc.display_name) == ("agency_request", False, "yeu-cau.pdf")
    assert "ghi nhận là “Cung cấp thông tin" not in body


def test_a_document_that_is_not_a_pdf_or_image_is_refused_with_a_message(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], type="press_answer",
                                                  agency_document=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "yeu-cau.pdf")))
    assert response.status_code == 400
    assert db.session.execute(select(PressRequest)).first() is None
