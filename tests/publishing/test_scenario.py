"""Done when: a spokesperson publishes the answer to a request and corrects it once; the home page,
the item with its correction notice, both feeds, the unit feed and the API all show it consistently."""

from __future__ import annotations

import feedparser
from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.audit.services import verify_chain
from spokes.extensions import db
from spokes.notifications.models import OutboxMail
from spokes.publishing.models import Publication, PublicationRevision

from .helpers import NOW, content_form, later, text_of


def test_publish_then_correct_shows_everywhere(world, answered, client_for, client, clock):
    req = answered(subject="Tiến độ nạo vét kênh Xẻo Nhàu", agency="Báo Kiên Giang",
                   journalist_email="pv.nam@baokg.vn")
    deputy = world["deputy"]
    staff = client_for(deputy)

    # The form is prefilled from the request and its approved answer.
    form_page = staff.get(f"/staff/publications/new?request_id={req.id}")
    assert form_page.status_code == 200
    page = form_page.get_data(as_text=True)
    assert "Tiến độ nạo vét kênh Xẻo Nhàu" in page and "Báo Kiên Giang" in page
    assert "Trương Thị Mai" in page and "60%" in page

    clock(later(5))  # 09:05 Vietnam time
    response = staff.post(f"/staff/publications/new?request_id={req.id}",
                          data=content_form(title="Đông Hưng trả lời về nạo vét kênh Xẻo Nhàu"))
    assert response.status_code == 302
    pub = db.session.execute(select(Publication)).scalar_one()
    assert response.headers["Location"].endswith(f"/news/{pub.slug}")
    assert pub.slug == "dong-hung-tra-loi-ve-nao-vet-kenh-xeo-nhau"
    assert (pub.question_subject, pub.question_agency) == ("Tiến độ nạo vét kênh Xẻo Nhàu", "Báo Kiên Giang")
    assert pub.question_journalist is None  # no consent given

    # The journalist is told through the outbox, with a link; the request's public history says so.
    mail = db.session.execute(select(OutboxMail).where(OutboxMail.to_address == "pv.nam@baokg.vn")
                              .order_by(OutboxMail.id.desc())).scalars().first()
    assert f"/news/{pub.slug}" in mail.body_text
    published = db.session.execute(select(AuditEvent).where(AuditEvent.action == "request.published")).scalar_one()
    assert published.public and published.object_type == "request" and published.object_id == req.id
    assert published.after == {"publication_slug": pub.slug, "title": pub.title}
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "publication.publish")).scalar_one()

    home = client.get("/").get_data(as_text=True)
    assert pub.title in home and "(09:05 | 10/03/2026)" in home and "UBND xã Đông Hưng" in home

    atom_before = feedparser.parse(client.get("/feed.atom").data)
    entry_before = atom_before.entries[0]

    # One correction, an hour later.
    clock(later(65))  # 10:05
    staff.get(f"/staff/publications/{pub.id}/edit")
    response = staff.post(f"/staff/publications/{pub.id}/edit", data=content_form(
        title="Đông Hưng trả lời về nạo vét kênh Xẻo Nhàu", body="Xã đã hoàn thành **70%** khối lượng nạo vét.",
        summary="Xã đã hoàn thành 70% khối lượng.", correction_note="Sửa tỷ lệ hoàn thành: 70%, không phải 60%."))
    assert response.status_code == 302
    db.session.expire_all()
    pub = db.session.get(Publication, pub.id)
    assert pub.revision_number == 2
    revision = db.session.execute(select(PublicationRevision)).scalar_one()
    assert revision.number == 1 and "60%" in revision.body and revision.valid_until == later(65)

    item = client.get(f"/news/{pub.slug}").get_data(as_text=True)
    assert "Cải chính lúc 10:05 10/03/2026" in text_of(item)
    assert "Sửa tỷ lệ hoàn thành" in item and "70%" in item
    assert f"/news/{pub.slug}/revisions/1" in item
    old = client.get(f"/news/{pub.slug}/revisions/1").get_data(as_text=True)
    assert "60%" in old and "70%" not in text_of(old).split("Nội dung cải chính")[0]

    home = client.get("/").get_data(as_text=True)
    assert "Đã cải chính" in home and "70% khối lượng" in home

    for url in ("/feed.atom", "/feed.rss", "/units/AM-DHU/feed.atom", "/units/AM-DHU/feed.rss"):
        parsed = feedparser.parse(client.get(url).data)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        entry = parsed.entries[0]
        assert entry.title.startswith("[Cải chính]"), url
        assert entry.id == entry_before.id, url
        assert "70%" in entry.description, url
    atom_after = feedparser.parse(client.get("/feed.atom").data).entries[0]
    assert atom_after.updated_parsed > entry_before.updated_parsed
    assert atom_after.published_parsed == entry_before.published_parsed

    api_item = client.get(f"/api/v1/items/{pub.slug}").get_json()
    assert api_item["revision_number"] == 2
    assert api_item["corrected_at"] == "2026-03-10T10:05:00+07:00"
    assert api_item["published_at"] == "2026-03-10T09:05:00+07:00"
    assert api_item["correction_note"] == "Sửa tỷ lệ hoàn thành: 70%, không phải 60%."
    assert [r["number"] for r in api_item["revisions"]] == [1]
    listed = client.get("/api/v1/items").get_json()
    assert listed["total"] == 1 and listed["items"][0]["slug"] == pub.slug

    status = client.get(f"/api/v1/requests/{req.reference}", query_string={"token": req.tracking_token}).get_json()
    published_events = [e for e in status["timeline"] if e["event"] == "published"]
    assert len(published_events) == 1 and published_events[0]["url"].endswith(f"/news/{pub.slug}")
    assert status["publications"][0]["slug"] == pub.slug
    assert verify_chain()[1] is None
    assert NOW < pub.corrected_at
