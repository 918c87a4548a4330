"""Issue 16, point 4: the handbook reads the same rulebook rows as the deadline engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from spokes.deadlines import services as deadlines
from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.extensions import db

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 10:00 on Thursday 03/12/2026 in Vietnam


@pytest.fixture()
def today(frozen_clock, rulebooks):
    frozen_clock(NOW)
    return NOW


def _rule(request_type: str) -> Rule:
    book = db.session.execute(select(Rulebook).where(Rulebook.valid_from <= NOW.date())
                              .order_by(Rulebook.valid_from.desc())).scalars().first()
    return next(r for r in book.rules if r.request_type == request_type and r.milestone == "main")


def _emergency_line(page: str) -> str:
    start = page.index('class="emergency-deadline"')
    return page[start:page.index("</li>", start)]


def test_changing_a_rule_changes_the_handbook_and_the_engine(today, client, login, make_user, make_unit):
    login(make_user("clerk", make_unit("AG-ANMINH", "UBND xã An Minh")))
    rule = _rule("emergency")
    before_due = deadlines.compute("emergency", NOW).result.due_at
    before_page = client.get("/staff/handbook").get_data(as_text=True)
    assert f"{rule.amount} giờ" in _emergency_line(before_page)

    rule.amount = 12
    rule.citation_source = "Quy chế phát ngôn thử nghiệm, Điều 9"
    db.session.commit()

    after_due = deadlines.compute("emergency", NOW).result.due_at
    assert (after_due - NOW).total_seconds() == 12 * 3600 and after_due != before_due
    after_page = client.get("/staff/handbook").get_data(as_text=True)
    assert "12 giờ" in _emergency_line(after_page) and "Quy chế phát ngôn thử nghiệm, Điều 9" in after_page
    public = client.get("/handbook").get_data(as_text=True)
    assert "Quy chế phát ngôn thử nghiệm, Điều 9" in public


def test_handbook_shows_every_rule_and_refusal_ground_of_the_rulebook_in_force(today, client):
    page = client.get("/handbook")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    book = _rule("information").rulebook
    assert book.name in text
    for rule in book.rules:
        assert rule.citation_source in text
    grounds = db.session.execute(select(RefusalGround).where(RefusalGround.rulebook_id == book.id)).scalars().all()
    assert grounds and all(g.text in text for g in grounds)
    # A ground edited in the rulebook is the ground the handbook shows.
    grounds[0].text = "Thông tin thuộc bí mật nhà nước (đã sửa trong bộ quy tắc)."
    db.session.commit()
    assert "đã sửa trong bộ quy tắc" in client.get("/handbook").get_data(as_text=True)


def test_handbook_pages_have_the_six_forms_and_checklists(today, client, login, make_user, make_unit):
    public = client.get("/handbook").get_data(as_text=True)
    assert public.count("<li>", public.index('id="forms-title"'), public.index('id="grounds-title"')) == 6
    assert "Trước khi trả lời phỏng vấn" not in public  # the staff checklists stay inside
    assert client.get("/staff/handbook").status_code == 302  # staff page needs a login
    login(make_user("spokesperson", make_unit("AG-ANMINH", "UBND xã An Minh")))
    staff = client.get("/staff/handbook").get_data(as_text=True)
    for heading in ("Trước khi trả lời phỏng vấn", "Trước khi tổ chức họp báo", "Khi có sự kiện, vấn đề đột xuất"):
        assert heading in staff
    assert "css/handbook.css" in staff  # the print stylesheet


def test_handbook_in_english(today, client):
    client.get("/lang/en")
    page = client.get("/handbook", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Six forms of speaking" in page and "Who may speak for a unit" in page
