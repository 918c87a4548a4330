"""What a reader sees in their own language and form: upload refusals, a month typed as 07/2026, the tab icon."""

from __future__ import annotations

import io

import pytest

from spokes.audit.models import AuditEvent
from spokes.audit.services import compact_changes, record
from spokes.extensions import db

from .helpers import form_data

EXE = b"MZ\x90\x00" + b"\x00" * 60  # a Windows program, whatever its name says


@pytest.mark.parametrize(("lang", "expected", "not_expected"), [
    ("vi", "Định dạng tệp không được chấp nhận. Chỉ nhận: PDF", "File type not accepted"),
    ("en", "File type not accepted. Accepted: PDF", "Định dạng tệp"),
])
def test_a_refused_upload_is_explained_in_the_readers_language(client, commune, lang, expected, not_expected):
    client.get(f"/lang/{lang}?next=/ask")
    data = form_data(commune["dhu"], credential="letter", card_number="", card_expiry="",
                     letter=(io.BytesIO(EXE), "giay-gioi-thieu.pdf"))
    response = client.post("/ask", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert expected in body and not_expected not in body


def test_a_news_month_reads_as_vietnamese_write_it_or_as_a_month_picker_sends_it(client):
    for typed in ("12/2026", "2026-12", "7/2026"):
        assert client.get(f"/news?month={typed}").status_code == 200, typed
    # The box is a text box (a month picker cannot be typed as 07/2026) and shows the month back as
    # people write it, so the filter stays visible and is sent again.
    page = client.get("/news?month=2026-07").get_data(as_text=True)
    assert 'type="text" inputmode="numeric"' in page and 'name="month" placeholder="07/2026"' in page
    assert 'value="07/2026"' in client.get("/news?month=7/2026").get_data(as_text=True)
    assert 'value="07/2026"' in page
    for typed in ("13/2026", "2026/12", "12-2026", "1999-01"):
        response = client.get(f"/news?month={typed}")
        assert response.status_code == 400, typed
        assert "MM/YYYY" in response.get_data(as_text=True), typed


def test_every_page_names_its_tab_icon_served_here(client):
    body = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/img/favicon.svg"' in body
    icon = client.get("/static/img/favicon.svg")
    assert icon.status_code == 200 and icon.data.startswith(b"<svg")
    icon.close()


def test_the_audit_log_shows_recorded_moments_in_vietnam_time_and_names_the_journalist(client, district, as_admin):
    record("request.extend", actor=None, actor_label="journalist", obj_type="request", obj_id=7,
           unit_id=district["vk"].id, before={"due_at": "2026-12-10T16:59:59+00:00", "on": "2026-12-03"},
           after={"due_at": "2026-12-17T16:59:59+00:00", "on": "2026-12-04", "note": "2026-12-04 là ngày"})
    event = record("request.extend", actor=None, actor_label="journalist", obj_type="request", obj_id=8,
                   unit_id=district["vk"].id, after={"at": "2026-12-04T02:00:00Z"})
    db.session.commit()
    assert compact_changes(event) == [("at", "", "04/12/2026 09:00")]
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_id == 7)).scalar_one()
    assert compact_changes(event) == [("due_at", "10/12/2026 23:59", "17/12/2026 23:59"),
                                      ("note", "", "2026-12-04 là ngày"),  # text is shown as written
                                      ("on", "03/12/2026", "04/12/2026")]
    body = client.get("/admin/audit").get_data(as_text=True).split("<tbody>")[-1]
    assert "Phóng viên" in body and ">journalist<" not in body


def test_a_journalist_reads_the_internal_target_once_and_no_regulation_layer_that_changed_nothing():
    from spokes.deadlines.rulebook import public_explanation

    steps = [{"code": "rule", "book": "B", "label": "L", "amount": 5, "unit": "working_days", "basis": "internal"},
             {"code": "layers", "book": "B", "layers": [{"name": "QĐ 1835/QĐ-UBND", "unit": "AG", "sets_rule": False}]},
             {"code": "layers", "book": "B", "layers": [{"name": "Chỉ tiêu xã", "unit": "X", "sets_rule": True},
                                                        {"name": "QĐ 1835/QĐ-UBND", "unit": "AG", "sets_rule": False}]}]
    shown = public_explanation({"confidence": "U", "statutory": False, "steps": steps})["steps"]
    assert [s["code"] for s in shown] == ["rule", "layers"]
    assert shown[1]["layers"] == [{"name": "Chỉ tiêu xã", "unit": "X", "sets_rule": True}]  # only the one that set it


def test_the_confirmation_qualifies_an_internal_target_in_its_heading_only(client, commune):
    response = client.post("/ask", data=form_data(commune["dhu"], type="information"), content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:500]
    # Said by the heading, and by the rule's own step; the date's line below the heading no longer repeats it.
    assert "Thời hạn trả lời (chỉ tiêu nội bộ của đơn vị)</h2>" in body
    assert "Hạn trả lời (chỉ tiêu nội bộ của đơn vị):" not in body and "<strong>Hạn trả lời:</strong>" in body
