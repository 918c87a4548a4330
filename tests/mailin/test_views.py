"""Staff pages of the mail intake: the quarantine list and the clerk's confirmation of the type."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import select

from spokes.audit.models import AuditEvent
from spokes.deadlines import services as deadlines
from spokes.extensions import db
from spokes.mailin import services
from spokes.mailin.models import InboundMail
from spokes.attachments.models import Attachment
from spokes.press_requests.models import PressRequest

from . import messages as m
from .conftest import UNIT_ADDRESS, vn

ARRIVED = vn(2026, 12, 2, 9, 15)
DETAIL_LINK = re.compile(r'href="/staff/mail/\d+"')
JOURNALIST = "Trần Văn Bình <binh.tran@baochi.test>"


def _file(unit: Any, uid: int, raw: bytes) -> InboundMail:
    box = services.mailbox_for(unit)
    row = services.file_message(box, unit, uidvalidity=1, uid=uid, received_at=ARRIVED, size=len(raw), raw=raw)
    db.session.commit()
    return row


def test_quarantined_messages_are_listed_with_pages_and_kept_whole(app, commune, client, login, frozen_clock) -> None:
    frozen_clock(vn(2026, 12, 2, 10, 0))
    for uid in range(1, 33):
        _file(commune.unit, uid, m.malformed(ARRIVED))
    first = db.session.execute(select(InboundMail).order_by(InboundMail.id)).scalars().first()
    login(commune.clerk)

    page1 = client.get("/staff/mail/?outcome=quarantined").get_data(as_text=True)
    page2 = client.get("/staff/mail/?outcome=quarantined&page=2").get_data(as_text=True)
    assert "32 thư lỗi đang cách ly" in page1
    assert len(DETAIL_LINK.findall(page1)) == 30 and len(DETAIL_LINK.findall(page2)) == 2
    detail = client.get(f"/staff/mail/{first.id}").get_data(as_text=True)
    assert "garbage without any boundary" in detail and "NoBoundaryInMultipartDefect" in detail

    other = app.test_client()
    login(commune.other_head, target=other)  # another commune's head sees none of it
    assert other.get(f"/staff/mail/{first.id}").status_code == 404
    assert "32 thư lỗi" not in other.get("/staff/mail/").get_data(as_text=True)


def test_clerk_confirms_the_type_and_the_clock_counts_from_the_arrival(app, commune, client, login, frozen_clock) -> None:
    frozen_clock(vn(2026, 12, 3, 8, 30))  # the clerk looks at it the next morning
    raw = m.with_attachments(JOURNALIST, UNIT_ADDRESS, "Đề nghị trả lời trên báo về việc cấp phép xây dựng",
                             "Báo đề nghị UBND xã trả lời.", ARRIVED,
                             [(m.VIETNAMESE_FILENAME, "application/pdf", m.PDF)])
    row = _file(commune.unit, 1, raw)
    req = db.session.get(PressRequest, row.request_id)
    letter = db.session.execute(select(Attachment).where(Attachment.request_id == req.id)).scalar_one()
    assert req.type == "information"  # provisional until confirmed
    login(commune.clerk)
    page = client.get(f"/staff/mail/{row.id}").get_data(as_text=True)
    assert "Xác nhận loại yêu cầu" in page and m.VIETNAMESE_FILENAME in page
    # The request page itself says the type awaits a clerk, and leads to the mail to confirm it.
    request_page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert "thời hạn hiện tại là tạm tính" in request_page and f'href="/staff/mail/{row.id}"' in request_page

    refused = client.post(f"/staff/mail/{row.id}/confirm-type", data={"type": "press_answer", "letter": "0"})
    assert refused.status_code == 400 and "văn bản đề nghị của cơ quan báo chí" in refused.get_data(as_text=True)

    done = client.post(f"/staff/mail/{row.id}/confirm-type", data={"type": "press_answer", "letter": str(letter.id)})
    assert done.status_code == 302
    db.session.expire_all()
    req = db.session.get(PressRequest, row.request_id)
    expected = deadlines.compute("press_answer", ARRIVED.astimezone(UTC), rulebook_for=ARRIVED, unit=commune.unit)
    assert req.type == "press_answer"
    assert req.received_at == ARRIVED.astimezone(UTC)  # the receipt time stays the message's
    assert req.due_at == expected.result.due_at and req.due_at > req.received_at + timedelta(days=29)
    assert db.session.get(Attachment, letter.id).purpose == "letter"
    assert db.session.get(InboundMail, row.id).type_confirmed_at is not None
    assert "thời hạn hiện tại là tạm tính" not in client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "mail.type_confirmed")).scalar_one()

    again = client.post(f"/staff/mail/{row.id}/confirm-type", data={"type": "information", "letter": "0"})
    assert again.status_code == 409


def test_only_staff_who_log_requests_in_the_unit_confirm(app, commune, client, login, frozen_clock) -> None:
    frozen_clock(vn(2026, 12, 2, 10, 0))
    row = _file(commune.unit, 1, m.plain(JOURNALIST, UNIT_ADDRESS, "Câu hỏi", "Nội dung.", ARRIVED))
    login(commune.overseer)  # sees the district's mail, logs no requests
    assert client.get(f"/staff/mail/{row.id}").status_code == 200
    assert client.post(f"/staff/mail/{row.id}/confirm-type", data={"type": "interview"}).status_code == 403
    other = app.test_client()
    login(commune.other_head, target=other)
    assert other.post(f"/staff/mail/{row.id}/confirm-type", data={"type": "interview"}).status_code == 404
