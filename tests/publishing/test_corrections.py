"""Corrections keep every earlier version public; withdrawal keeps the address with a notice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.publishing import services
from spokes.publishing.models import Publication, PublicationRevision, SilentChangeError

from .helpers import content_form, correct, later, publish, text_of


def test_correction_freezes_the_previous_content(world, answered, clock):
    pub = publish(world["deputy"], answered(), title="Tiêu đề ban đầu", body="Nội dung ban đầu")
    clock(later(30))
    revision = correct(world["deputy"], pub, note="Sửa tiêu đề.", title="Tiêu đề đã sửa", body="Nội dung mới")
    assert (revision.number, revision.title, revision.body) == (1, "Tiêu đề ban đầu", "Nội dung ban đầu")
    assert revision.valid_from == pub.published_at and revision.valid_until == later(30)
    assert revision.correction_note == "Sửa tiêu đề."
    assert (pub.revision_number, pub.title, pub.corrected_at, pub.updated_at) == (
        2, "Tiêu đề đã sửa", later(30), later(30))
    assert pub.slug == "tieu-de-ban-dau"  # the permalink never changes

    clock(later(90))
    second = correct(world["chair"], pub, note="Bổ sung số liệu.", body="Nội dung mới, có số liệu")
    assert (second.number, second.title, second.valid_from, second.valid_until) == (
        2, "Tiêu đề đã sửa", later(30), later(90))
    assert pub.revision_number == 3
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "publication.correct")
                               .order_by(AuditEvent.seq.desc())).scalars().first()
    assert event.before == {"body": "Nội dung mới"} and event.after["note"] == "Bổ sung số liệu."


def test_item_page_lists_every_earlier_version(world, answered, client, clock):
    pub = publish(world["deputy"], answered(), body="Phiên bản một")
    clock(later(10))
    correct(world["deputy"], pub, body="Phiên bản hai")
    clock(later(20))
    correct(world["deputy"], pub, body="Phiên bản ba", note="Lần hai")
    page = client.get(f"/news/{pub.slug}").get_data(as_text=True)
    assert "Cải chính lúc 09:20 10/03/2026" in text_of(page) and "Lần hai" in page
    for number in (1, 2):
        assert f"/news/{pub.slug}/revisions/{number}" in page
    assert "Phiên bản một" in client.get(f"/news/{pub.slug}/revisions/1").get_data(as_text=True)
    assert "Phiên bản hai" in client.get(f"/news/{pub.slug}/revisions/2").get_data(as_text=True)
    assert client.get(f"/news/{pub.slug}/revisions/3").headers["Location"].endswith(f"/news/{pub.slug}")
    assert client.get(f"/news/{pub.slug}/revisions/9").status_code == 404


def test_correction_needs_a_note_and_a_change(world, answered, client_for):
    pub = publish(world["deputy"], answered())
    staff = client_for(world["deputy"])
    response = staff.post(f"/staff/publications/{pub.id}/edit", data=content_form(title=pub.title, body="Khác"))
    assert response.status_code == 400 and "Vui lòng ghi rõ nội dung cải chính." in response.get_data(as_text=True)
    same = content_form(title=pub.title, summary=pub.summary, body=pub.body, speaker_name=pub.speaker_name,
                        speaker_title=pub.speaker_title, correction_note="Không đổi gì")
    assert staff.post(f"/staff/publications/{pub.id}/edit", data=same).status_code == 400
    assert db.session.execute(select(PublicationRevision)).first() is None


def test_only_the_units_publishers_correct_or_withdraw(world, answered, client_for):
    pub = publish(world["deputy"], answered())
    for who in ("clerk", "office", "other_chair"):
        staff = client_for(world[who])
        assert staff.get(f"/staff/publications/{pub.id}/edit").status_code == 403
        assert staff.post(f"/staff/publications/{pub.id}/edit",
                          data=content_form(correction_note="x")).status_code == 403
        withdrawn = staff.post(f"/staff/publications/{pub.id}/withdraw", data={"reason": "Không có lý do"})
        assert withdrawn.status_code == 403
    db.session.refresh(pub)
    assert pub.revision_number == 1 and pub.withdrawn_at is None


def test_nothing_published_changes_silently(world, answered):
    pub = publish(world["deputy"], answered())
    pub.body = "Sửa lén"
    with pytest.raises(SilentChangeError):
        db.session.flush()
    db.session.rollback()
    pub = db.session.get(Publication, pub.id)
    pub.slug = "dia-chi-khac"
    with pytest.raises(SilentChangeError):
        db.session.flush()
    db.session.rollback()
    correct(world["deputy"], db.session.get(Publication, pub.id), body="Sửa có cải chính")
    revision = db.session.execute(select(PublicationRevision)).scalar_one()
    revision.body = "Sửa lại lịch sử"
    with pytest.raises(SilentChangeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Publication, pub.id))
    with pytest.raises(SilentChangeError):
        db.session.flush()
    db.session.rollback()


def test_withdrawal_keeps_the_address_with_a_notice(world, answered, client_for, client, clock):
    pub = publish(world["deputy"], answered(), body="Nội dung sẽ bị gỡ")
    staff = client_for(world["chair"])
    assert staff.post(f"/staff/publications/{pub.id}/withdraw", data={"reason": ""}).status_code == 400
    clock(later(45))
    response = staff.post(f"/staff/publications/{pub.id}/withdraw",
                          data={"reason": "Thông tin chưa được phép công bố."})
    assert response.status_code == 302
    page = client.get(f"/news/{pub.slug}")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "Tin đã được gỡ lúc 09:45 10/03/2026" in text and "Thông tin chưa được phép công bố." in text
    assert "Nội dung sẽ bị gỡ" not in text
    assert pub.title not in client.get("/").get_data(as_text=True)
    assert pub.title not in client.get("/news").get_data(as_text=True)
    # No further correction or withdrawal of a withdrawn item.
    assert staff.get(f"/staff/publications/{pub.id}/edit").status_code == 409
    with pytest.raises(DomainError):
        services.withdraw(world["chair"], db.session.get(Publication, pub.id), "Lần nữa")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "publication.withdraw")).scalar_one()
    assert event.after["reason"] == "Thông tin chưa được phép công bố."


def test_earlier_versions_of_a_withdrawn_item_show_the_notice(world, answered, client, clock):
    pub = publish(world["deputy"], answered(), body="Bản đầu nhạy cảm")
    clock(later(5))
    correct(world["deputy"], pub, body="Bản sửa")
    services.withdraw(world["deputy"], pub, "Gỡ theo yêu cầu của cơ quan có thẩm quyền.")
    db.session.commit()
    page = client.get(f"/news/{pub.slug}/revisions/1").get_data(as_text=True)
    assert "Bản đầu nhạy cảm" not in page and "Gỡ theo yêu cầu" in page


def test_staff_list_shows_state_and_actions(world, answered, client_for):
    live = publish(world["deputy"], answered(subject="Tin còn đăng"))
    gone = publish(world["deputy"], answered(subject="Tin đã gỡ"))
    services.withdraw(world["deputy"], gone, "Trùng lặp.")
    db.session.commit()
    page = client_for(world["deputy"]).get("/staff/publications").get_data(as_text=True)
    assert live.title in page and gone.title in page
    assert f"/staff/publications/{live.id}/edit" in page
    assert f"/staff/publications/{gone.id}/edit" not in page
    assert client_for(world["clerk"]).get("/staff/publications").status_code == 403
    assert live.title not in client_for(world["other_chair"]).get("/staff/publications").get_data(as_text=True)
