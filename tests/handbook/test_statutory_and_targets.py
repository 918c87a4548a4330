"""The handbook tells deadlines the law sets apart from the unit's internal targets, and shows the
public no unverified citation or research note (QA, December 2026)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.extensions import db

DECEMBER = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 08:00 on Saturday 05/12/2026 in Vietnam: the 2025 rulebook
MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 on Tuesday 10/03/2026: the 2016 rulebook


def _book(code: str) -> Rulebook:
    return db.session.execute(select(Rulebook).where(Rulebook.code == code)).scalar_one()


def _rule(code: str, request_type: str, milestone: str = "main") -> Rule:
    return next(r for r in _book(code).rules if r.request_type == request_type and r.milestone == milestone)


def _tables(page: str) -> tuple[str, str]:
    """Return the statutory table and the internal-targets table of a handbook page."""
    statutory = page[page.index("handbook-statutory"):page.index("</table>", page.index("handbook-statutory"))]
    start = page.index("handbook-targets")
    return statutory, page[start:page.index("</table>", start)]


@pytest.fixture()
def december(frozen_clock, rulebooks):
    frozen_clock(DECEMBER)


def test_internal_targets_are_listed_apart_from_the_deadlines_the_law_sets(december, client):
    page = client.get("/handbook").get_data(as_text=True)
    statutory, targets = _tables(page)
    assert "Chỉ tiêu nội bộ của đơn vị — không phải thời hạn luật định" in page
    for label in ("Cung cấp thông tin, tài liệu", "Đề nghị phỏng vấn", "Phát ngôn khi có sự kiện đột xuất"):
        assert label in targets and label not in statutory, label
    for request_type in ("information", "interview", "emergency", "forwarded_denunciation"):
        assert _rule("lbc2025-nd237", request_type).citation_source in targets, request_type
    # The 7 working days for a forwarded denunciation were recalled, never read: a target, not the law.
    assert "7 ngày làm việc" in targets and "7 ngày làm việc" not in statutory
    assert "24 giờ" in targets  # the emergency statement; the press-conference notice stays with the law
    for request_type, milestone in (("press_answer", "main"), ("forwarded_feedback", "main"),
                                    ("forwarded_complaint", "main"), ("forwarded_denunciation", "conclusion")):
        rule = _rule("lbc2025-nd237", request_type, milestone)
        assert rule.citation_source in statutory and rule.citation_source not in targets


def test_the_public_handbook_shows_no_research_note_and_staff_keep_the_detail(
        december, client, login, make_user, make_unit):
    public = client.get("/handbook").get_data(as_text=True)
    unverified = db.session.execute(select(Rule).where(Rule.confidence == "U")).scalars().all()
    assert unverified
    for rule in unverified:
        assert rule.citation_text not in public, rule.request_type
    assert "mức nhớ lại" not in public and "chưa đọc được văn bản" not in public
    assert "Luật Tố cáo 25/2018/QH14, Điều 24" not in public  # a provision nobody here has read
    assert "độ tin cậy" not in public.lower()

    login(make_user("spokesperson", make_unit("AG-ANMINH", "UBND xã An Minh")))
    staff = client.get("/staff/handbook").get_data(as_text=True)
    _statutory, targets = _tables(staff)
    assert _rule("lbc2025-nd237", "forwarded_denunciation").citation_text in targets
    assert "Độ tin cậy U" in targets


def test_the_english_handbook_keeps_the_two_tables_and_no_unverified_text(december, client):
    client.get("/lang/en")
    page = client.get("/handbook", headers={"Accept-Language": "en"}).get_data(as_text=True)
    statutory, targets = _tables(page)
    assert "30" in statutory and "7" in targets
    for rule in db.session.execute(select(Rule).where(Rule.confidence == "U")).scalars():
        assert rule.citation_text not in page


def test_an_unverified_refusal_ground_keeps_its_text_but_not_its_source_in_public(
        frozen_clock, rulebooks, client, login, make_user, make_unit):
    frozen_clock(MARCH)
    ground = db.session.execute(select(RefusalGround).where(
        RefusalGround.rulebook_id == _book("qd1430-2017").id, RefusalGround.code == "d")).scalar_one()
    assert ground.confidence == "U"
    public = client.get("/handbook").get_data(as_text=True)
    assert ground.text in public and ground.source not in public
    login(make_user("spokesperson", make_unit("AG-ANMINH", "UBND xã An Minh")))
    assert ground.source in client.get("/staff/handbook").get_data(as_text=True)


def test_who_speaks_names_the_decree_with_the_dates_it_governs(december, client):
    page = client.get("/handbook").get_data(as_text=True)
    start = page.index('class="small text-body-secondary speakers-basis"')
    basis = page[start:page.index("</p>", start)]
    assert "Nghị định 09/2017/NĐ-CP (áp dụng đến 30/06/2026)" in basis
    assert "Nghị định 237/2026/NĐ-CP" in basis and "chưa được đối chiếu" in basis
    assert "Điều 2" not in basis


def test_a_statutory_duty_with_an_unverified_figure_is_shown_as_a_target_without_its_source(december, client):
    # An admin marks the complaint's acceptance period as unverified: the public sees a target and why.
    rule = _rule("lbc2025-nd237", "forwarded_complaint")
    rule.confidence = "U"
    db.session.commit()
    statutory, targets = _tables(client.get("/handbook").get_data(as_text=True))
    assert "Khiếu nại do báo chí chuyển đến" in targets and "10 ngày theo lịch" in targets
    assert "Pháp luật có quy định thời hạn cho việc này nhưng con số chưa được đối chiếu" in targets
    assert rule.citation_source not in targets and rule.citation_text not in statutory + targets
