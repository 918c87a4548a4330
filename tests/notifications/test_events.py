"""Who is told what when a request changes; nobody is told about their own action."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

from sqlalchemy import select

from spokes.extensions import db
from spokes.core import events as domain_events
from spokes.notifications.models import Notification, OutboxMail
from spokes.press_requests import services as svc
from spokes.press_requests.models import MessageKind

from .conftest import vn


def notices() -> Counter[tuple[str, str]]:
    """Return (recipient e-mail, kind) → count of every in-app notice."""
    db.session.expire_all()
    rows = db.session.execute(select(Notification)).scalars().all()
    from spokes.auth.models import User

    emails = {u.id: u.email for u in db.session.execute(select(User)).scalars()}
    return Counter((emails[n.user_id], n.kind) for n in rows)


def journalist_mails() -> list[OutboxMail]:
    """Return the outbox rows addressed to journalists, oldest first."""
    return list(db.session.execute(
        select(OutboxMail).where(OutboxMail.kind.like("journalist.%")).order_by(OutboxMail.id)).scalars())


def test_intake_tells_the_journalist_and_the_unit_but_never_the_clerk_who_logged_it(commune, make_request,
                                                                                   frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit, actor=commune.clerk)

    assert notices() == {("sp@dhu.vn", "assigned"): 1, ("head@dhu.vn", "new_request"): 1}
    [mail] = journalist_mails()
    assert (mail.to_address, mail.kind, mail.dedupe_key) == ("pv@baochi.vn", "journalist.received",
                                                             f"journalist:{req.id}:received")
    assert mail.subject == f"[{req.reference}] Đã tiếp nhận câu hỏi: Tiến độ dự án đê biển"
    assert f"/track/{req.tracking_token}" in mail.body_text
    assert req.reference in mail.body_html and "<html lang=\"vi\">" in mail.body_html


def test_a_portal_question_reaches_the_clerk_too(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    make_request(commune.unit, channel="web_form")

    assert notices() == {("sp@dhu.vn", "assigned"): 1, ("head@dhu.vn", "new_request"): 1,
                         ("clerk@dhu.vn", "new_request"): 1}


def test_the_head_logging_a_request_is_not_told_of_it(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    make_request(commune.unit, actor=commune.head)

    assert ("head@dhu.vn", "new_request") not in notices()
    assert notices()[("clerk@dhu.vn", "new_request")] == 1


def test_the_draft_cycle_tells_the_other_side_only(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit, actor=commune.clerk)
    before = notices()
    sp, head = commune.spokesperson, commune.head

    svc.save_draft(sp, req, svc.DraftData(body="Dự án đạt 80% khối lượng."))
    svc.submit_draft(sp, req)
    db.session.commit()
    assert notices() - before == {("head@dhu.vn", "awaiting_approval"): 1}

    svc.return_draft(head, req, "Bổ sung số liệu kinh phí.")
    db.session.commit()
    assert notices() - before == {("head@dhu.vn", "awaiting_approval"): 1, ("sp@dhu.vn", "returned"): 1}
    returned = db.session.execute(select(Notification).where(Notification.kind == "returned")).scalar_one()
    assert "Bổ sung số liệu kinh phí." in returned.message

    svc.save_draft(sp, req, svc.DraftData(body="Dự án đạt 80% khối lượng, kinh phí 12 tỷ đồng."))
    svc.submit_draft(sp, req)
    svc.approve(head, req)
    db.session.commit()
    assert notices() - before == {("head@dhu.vn", "awaiting_approval"): 2, ("sp@dhu.vn", "returned"): 1,
                                  ("sp@dhu.vn", "answered"): 1}
    answer = journalist_mails()[-1]
    assert answer.subject.startswith(f"[{req.reference}] Trả lời của UBND xã Đông Hưng")
    assert "kinh phí 12 tỷ đồng" in answer.body_text and "kinh phí 12 tỷ đồng" in answer.body_html


def test_the_answer_mail_introduces_the_answer_once(commune, make_request, frozen_clock):
    """An answer that opens with the unit's own "… trả lời như sau:" is not introduced a second time."""
    frozen_clock(vn(2026, 12, 1, 9, 0))
    plain, led = make_request(commune.unit, actor=commune.clerk), make_request(commune.unit, actor=commune.clerk)
    for req, body in ((plain, "Dự án đạt 80% khối lượng."),
                      (led, "UBND xã Đông Hưng trả lời như sau:\n\nDự án đạt 80% khối lượng.")):
        svc.reassign(commune.head, req, commune.head, "Tự trả lời.")
        svc.save_draft(commune.head, req, svc.DraftData(body=body))
        svc.submit_draft(commune.head, req)
        svc.approve(commune.head, req)
    db.session.commit()

    answered = [m for m in journalist_mails() if m.kind == "journalist.answered"]
    [plain_mail] = [m for m in answered if m.subject.startswith(f"[{plain.reference}]")]
    [led_mail] = [m for m in answered if m.subject.startswith(f"[{led.reference}]")]
    assert "UBND xã Đông Hưng trả lời câu hỏi “Tiến độ dự án đê biển” như sau:" in plain_mail.body_text
    assert led_mail.body_text.count("trả lời như sau") == 1 and "trả lời câu hỏi" not in led_mail.body_text
    assert "Về câu hỏi “Tiến độ dự án đê biển” của anh/chị:" in led_mail.body_text


def test_a_head_who_drafts_and_sends_is_told_nothing(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit, actor=commune.clerk)
    svc.reassign(commune.head, req, commune.head, "Tự trả lời.")
    before = notices()

    svc.save_draft(commune.head, req, svc.DraftData(body="Trả lời ngắn."))
    svc.submit_draft(commune.head, req)  # the only head: nobody else to approve
    svc.approve(commune.head, req)
    db.session.commit()

    assert notices() - before == Counter()
    assert journalist_mails()[-1].kind == "journalist.answered"


def test_transfer_extension_and_messages_reach_the_journalist(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    req = make_request(commune.unit, actor=commune.clerk)

    svc.extend(commune.head, req, 2, "Cần thêm số liệu từ huyện.")
    svc.add_message(commune.spokesperson, req, MessageKind.TO_JOURNALIST, "Anh vui lòng chờ thêm hai ngày.")
    svc.add_message(None, req, MessageKind.FROM_JOURNALIST, "Cảm ơn, tôi chờ.")
    db.session.commit()
    before = notices()
    svc.transfer(commune.head, req, commune.units["vk"], "Thuộc thẩm quyền xã Vân Khánh.")
    db.session.commit()

    kinds = [m.kind for m in journalist_mails()]
    assert kinds[1:] == ["journalist.extended", f"journalist.message-{kinds[2].rsplit('-', 1)[1]}",
                         "journalist.transferred"]
    extended, message, transferred = journalist_mails()[1:]
    assert "Cần thêm số liệu từ huyện." in extended.body_text and "(giờ Việt Nam)" in extended.body_text
    assert "Anh vui lòng chờ thêm hai ngày." in message.body_text
    assert "UBND xã Vân Khánh" in transferred.subject and "Thuộc thẩm quyền xã Vân Khánh." in transferred.body_text
    # The follow-up went to the assignee; the receiving unit's speaker is told it is theirs.
    assert notices()[("sp@dhu.vn", "follow_up")] == 1
    assert notices() - before == {("head@vk.vn", "assigned"): 1}


def test_publication_is_mailed_to_the_journalist(app, commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    app.config["PUBLIC_BASE_URL"] = "https://spokes.example.vn"
    req = make_request(commune.unit)

    # Through the domain event, as publishing sends it: the subscription is part of what is tested.
    domain_events.request_published.send(
        req, publication=SimpleNamespace(title="Tiến độ dự án đê biển", slug="tien-do-de-bien"),
        actor=commune.spokesperson)
    db.session.commit()

    mail = journalist_mails()[-1]
    assert mail.kind == "journalist.published"
    assert mail.subject == f"[{req.reference}] Câu trả lời đã được đăng công khai: Tiến độ dự án đê biển"
    if "publishing.item" in app.view_functions:
        assert "https://spokes.example.vn/" in mail.body_text and "tien-do-de-bien" in mail.body_text


def test_no_mail_for_a_journalist_without_an_address(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    make_request(commune.unit, journalist_email="")
    assert journalist_mails() == []


def test_an_immediate_user_gets_a_mail_at_once_in_their_language(commune, make_request, frozen_clock):
    frozen_clock(vn(2026, 12, 1, 9, 0))
    commune.spokesperson.notify_mode = "immediate"
    commune.spokesperson.locale = "en"
    db.session.commit()

    req = make_request(commune.unit, actor=commune.clerk)

    notice = db.session.execute(select(Notification).where(Notification.kind == "assigned")).scalar_one()
    mail = db.session.get(OutboxMail, notice.mail_id)
    assert notice.emailed_at == vn(2026, 12, 1, 9, 0)
    assert (mail.to_address, mail.kind, mail.locale) == ("sp@dhu.vn", "staff.assigned", "en")
    assert '<html lang="en">' in mail.body_html
    assert req.reference in mail.subject and req.reference in mail.body_text
    # Written in English (the catalogue translates the Vietnamese msgids), the in-app notice too.
    assert mail.subject.startswith(f"[{req.reference}] ") and "Bạn được giao" not in mail.subject
    assert "Bạn được giao" not in notice.message and "Hạn trả lời" not in mail.body_text
    assert "/staff/preferences" in mail.body_text and "/staff/preferences" in mail.body_html
    assert f"/staff/requests/{req.id}" in mail.body_text
    # The head keeps the default daily digest: a notice, no mail yet.
    head_notice = db.session.execute(select(Notification).where(Notification.kind == "new_request")).scalar_one()
    assert (head_notice.emailed_at, head_notice.mail_id) == (None, None)
