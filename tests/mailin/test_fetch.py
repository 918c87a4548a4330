"""mail-fetch against a real IMAP server (Dovecot, IMAPS on 127.0.0.1): what Spokes makes of real messages."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from spokes.core.clock import now
from spokes.extensions import db
from spokes.mailin import services
from spokes.mailin.models import InboundMail, Mailbox
from spokes.notifications.models import Notification, OutboxMail
from spokes.attachments.models import Attachment
from spokes.press_requests.models import Message, PressRequest

from . import messages as m
from .conftest import UNIT_ADDRESS, use_smtp, vn

PROJECT = Path(__file__).resolve().parents[2]
JOURNALIST = "Nguyễn Thị Lan <lan.nguyen@baochi.test>"
ARRIVED = vn(2026, 12, 2, 9, 15)  # Wednesday morning; the fetch runs at 10:00
FETCHED_AT = vn(2026, 12, 2, 10, 0)


def count(model: Any, *where: Any) -> int:
    return int(db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def receipts() -> list[OutboxMail]:
    return list(db.session.execute(select(OutboxMail).where(OutboxMail.kind == "journalist.received")
                                   .order_by(OutboxMail.id)).scalars())


@pytest.fixture()
def at_ten(frozen_clock: Any) -> None:
    frozen_clock(FETCHED_AT)


def test_new_message_becomes_one_request_with_files_and_one_receipt(commune, mailbox, fetch, at_ten) -> None:
    unit_id = commune.unit.id
    raw = m.with_attachments(JOURNALIST, UNIT_ADDRESS, "Đề nghị cung cấp thông tin về dự án đê biển",
                             "Kính gửi UBND xã Đông Hưng,\n\nĐề nghị cho biết tiến độ dự án đê biển.\n\nTrân trọng.",
                             ARRIVED, [(m.VIETNAMESE_FILENAME, "application/pdf", m.PDF),
                                       ("chay-thu.exe", "application/octet-stream", b"MZ\x90\x00 not allowed")])
    uid = mailbox.deliver(raw, ARRIVED)

    assert "1 new_request" in fetch()

    req = db.session.execute(select(PressRequest)).scalar_one()
    assert req.unit_id == unit_id
    assert req.channel == "email" and req.state in ("received", "assigned")
    assert req.received_at == ARRIVED.astimezone(UTC)  # the arrival at the server, not the fetch
    assert req.subject == "Đề nghị cung cấp thông tin về dự án đê biển"
    assert "tiến độ dự án đê biển" in req.questions
    assert (req.contact_name, req.contact_email) == ("Nguyễn Thị Lan", "lan.nguyen@baochi.test")
    assert req.journalist is not None and req.journalist.email == "lan.nguyen@baochi.test"
    files = db.session.execute(select(Attachment).where(Attachment.request_id == req.id)).scalars().all()
    assert [(f.display_name, f.mime_type) for f in files] == [(m.VIETNAMESE_FILENAME, "application/pdf")]
    row = db.session.execute(select(InboundMail)).scalar_one()
    assert row.outcome == "new_request" and row.request_id == req.id and row.uid == uid
    assert row.skipped_attachments == [{"name": "chay-thu.exe", "reason": "bad_type"}]
    assert row.type_confirmed_at is None  # the clerk confirms the type (see test_views)
    [receipt] = receipts()
    assert receipt.to_address == "lan.nguyen@baochi.test" and receipt.request_id == req.id
    assert f"[{req.reference}]" in receipt.subject and "/track/" in receipt.body_text
    assert b"$SpokesFiled" in mailbox.flags()[uid]

    assert "0 messages" in fetch()  # idempotent
    db.session.expire_all()
    assert count(PressRequest) == 1 and len(receipts()) == 1 and count(InboundMail) == 1
    assert count(Attachment) == 1


def test_receipt_is_in_the_conversation_and_a_reply_joins_the_request(commune, mailbox, fetch, at_ten,
                                                                      smtp_server) -> None:
    first = m.plain(JOURNALIST, UNIT_ADDRESS, "Hỏi về kế hoạch nạo vét kênh", "Xin cho biết kế hoạch năm 2027.",
                    ARRIVED)
    journalist_id = m.message_ids_of(first)
    mailbox.deliver(first, ARRIVED)
    fetch()
    req = db.session.execute(select(PressRequest)).scalar_one()
    request_id, reference, assignee_id = req.id, req.reference, req.assignee_id
    from flask import current_app

    from spokes.notifications.sender import send_pending

    use_smtp(current_app, smtp_server)
    assert send_pending().sent >= 1
    [sent] = [x for x in smtp_server.handler.messages if x["To"] == "lan.nguyen@baochi.test"]
    assert f"[{reference}]" in str(sent["Subject"])
    assert sent["In-Reply-To"] == journalist_id
    assert journalist_id in str(sent["References"])
    assert sent["Reply-To"] == UNIT_ADDRESS

    # The journalist answers the receipt: their mail program quotes it and sets the headers.
    reply = m.plain(JOURNALIST, UNIT_ADDRESS, f"Re: {sent['Subject']}", "Bổ sung: cả tuyến kênh xáng.\n\n> …",
                    ARRIVED + timedelta(minutes=20), In_Reply_To=sent["Message-ID"],
                    References=f"{journalist_id} {sent['Message-ID']}")
    mailbox.deliver(reply, ARRIVED + timedelta(minutes=20))
    # The same subject copied into a fresh mail, without the reference or headers: not a follow-up.
    copied = m.plain(JOURNALIST, UNIT_ADDRESS, "Re: Hỏi về kế hoạch nạo vét kênh", "Một câu hỏi khác.",
                     ARRIVED + timedelta(minutes=25))
    mailbox.deliver(copied, ARRIVED + timedelta(minutes=25))
    # The reference in brackets, but from another address: not threaded either (the reference is public).
    stranger = m.plain("Ai đó <someone@else.test>", UNIT_ADDRESS, f"[{reference}] thêm ý kiến", "Tôi cũng hỏi.",
                       ARRIVED + timedelta(minutes=30))
    mailbox.deliver(stranger, ARRIVED + timedelta(minutes=30))
    # The journalist writes again with just the reference in the subject: threaded.
    by_reference = m.plain(JOURNALIST, UNIT_ADDRESS, f"Về yêu cầu [{reference}]", "Xin hỏi tiến độ.",
                           ARRIVED + timedelta(minutes=35))
    mailbox.deliver(by_reference, ARRIVED + timedelta(minutes=35))

    fetch()

    db.session.expire_all()
    followups = db.session.execute(select(Message).where(Message.request_id == request_id,
                                                         Message.kind == "from_journalist")
                                   .order_by(Message.id)).scalars().all()
    assert [f.body.splitlines()[0] for f in followups] == ["Bổ sung: cả tuyến kênh xáng.", "Xin hỏi tiến độ."]
    assert count(PressRequest) == 3  # the first, the copied subject, the stranger's
    assert count(PressRequest, PressRequest.subject == "Re: Hỏi về kế hoạch nạo vét kênh") == 1
    assert count(Notification, Notification.user_id == assignee_id, Notification.kind == "follow_up",
                 Notification.request_id == request_id) == 2
    outcomes = sorted(r.outcome for r in db.session.execute(select(InboundMail)).scalars())
    assert outcomes == ["follow_up", "follow_up", "new_request", "new_request", "new_request"]


def test_html_only_body_becomes_text_without_script_or_remote_content(commune, mailbox, fetch, at_ten) -> None:
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>Kính gửi UBND xã,</p><p>Đề nghị cho biết <b>số hộ</b> bị ảnh hưởng &amp; kế hoạch hỗ trợ.</p>"
            "<img src='https://tracker.example/pixel.png' onerror='alert(1)'><div>Trân trọng</div></body></html>")
    mailbox.deliver(m.html_only(JOURNALIST, UNIT_ADDRESS, "Số hộ bị ảnh hưởng do triều cường", html, ARRIVED),
                    ARRIVED)
    fetch()
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert req.questions == ("Kính gửi UBND xã,\nĐề nghị cho biết số hộ bị ảnh hưởng & kế hoạch hỗ trợ.\n"
                             "Trân trọng")
    for trace in ("<", "alert", "script", "tracker.example", "color:red"):
        assert trace not in req.questions


def test_forwarded_message_keeps_the_original_text(commune, mailbox, fetch, at_ten) -> None:
    original = m.plain("Bạn đọc <bandoc@gmail.test>", "toasoan@baochi.test", "Phản ánh đường giao thông",
                       "Đường ấp Kinh Tư bị sụt lún nhiều tháng nay.", ARRIVED - timedelta(days=1))
    mailbox.deliver(m.forward(JOURNALIST, UNIT_ADDRESS, ARRIVED, original), ARRIVED)
    fetch()
    req = db.session.execute(select(PressRequest)).scalar_one()
    assert req.subject.startswith("Fwd: ")
    assert "Chuyển tiếp phản ánh" in req.questions
    assert "Đường ấp Kinh Tư bị sụt lún" in req.questions and "bandoc@gmail.test" in req.questions
    assert req.contact_email == "lan.nguyen@baochi.test"  # the forwarder is the journalist


def test_robots_make_no_request_and_no_receipt_and_malformed_mail_is_quarantined(commune, mailbox, fetch,
                                                                                 at_ten) -> None:
    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Câu hỏi thật", "Một câu hỏi.", ARRIVED), ARRIVED)
    fetch()
    receipt = receipts()[0]
    later = ARRIVED + timedelta(minutes=5)
    # An out-of-office answer to our receipt, a bounce, a list mail, and our own address.
    mailbox.deliver(m.auto_reply(JOURNALIST, UNIT_ADDRESS, later, in_reply_to=receipt.message_id), later)
    mailbox.deliver(m.bounce(UNIT_ADDRESS, later), later)
    mailbox.deliver(m.plain("Bản tin <news@list.test>", UNIT_ADDRESS, "Bản tin tuần", "…", later,
                            List_Id="<bantin.list.test>", Precedence="bulk"), later)
    mailbox.deliver(m.plain(f"UBND xã <{UNIT_ADDRESS}>", UNIT_ADDRESS, "Thư của chính đơn vị", "…", later), later)
    broken_uid = mailbox.deliver(m.malformed(later), later)

    fetch()

    db.session.expire_all()
    assert count(PressRequest) == 1 and len(receipts()) == 1
    assert count(Message) == 0  # the auto-reply did not become a follow-up either
    rows = {r.uid: r for r in db.session.execute(select(InboundMail)).scalars()}
    assert sorted(r.outcome for r in rows.values()) == ["automatic", "automatic", "automatic", "new_request", "own",
                                                        "quarantined"]
    broken = rows[broken_uid]
    assert broken.reason.startswith("malformed") and broken.raw == m.malformed(later)
    reasons = sorted(r.reason for r in rows.values() if r.outcome == "automatic")
    assert reasons == ["Auto-Submitted: auto-replied", "Precedence: bulk", "Return-Path: <> (bounce)"]
    assert b"$SpokesFiled" in mailbox.flags()[broken_uid]  # kept in the mailbox, flagged, never lost


def test_a_message_is_filed_once_per_uid_even_without_the_lease(commune, mailbox, at_ten) -> None:
    box = services.mailbox_for(commune.unit)
    raw = m.plain(JOURNALIST, UNIT_ADDRESS, "Một câu hỏi", "Nội dung.", ARRIVED)
    services.file_message(box, commune.unit, uidvalidity=7, uid=1, received_at=ARRIVED, size=len(raw), raw=raw)
    db.session.commit()
    with pytest.raises(IntegrityError):
        services.file_message(box, commune.unit, uidvalidity=7, uid=1, received_at=ARRIVED, size=len(raw), raw=raw)
    db.session.rollback()
    assert count(PressRequest) == 1


def test_a_held_mailbox_is_skipped(commune, mailbox, fetch, at_ten) -> None:
    box = services.mailbox_for(commune.unit)
    box.claim_token, box.claimed_until = "x" * 32, now() + timedelta(minutes=1)
    db.session.commit()
    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Câu hỏi", "…", ARRIVED), ARRIVED)
    assert "1 busy elsewhere), 0 messages" in fetch()
    assert count(PressRequest) == 0


@pytest.mark.real_commits
def test_two_fetch_processes_at_once_file_each_message_once(commune, mailbox, imap_server, database_url,
                                                            tmp_path) -> None:
    # Real processes on the real clock (no frozen time): the messages arrived a few minutes ago.
    arrived = datetime.now(UTC) - timedelta(minutes=10)
    for i in range(12):
        mailbox.deliver(m.plain(f"Phóng viên {i} <pv{i}@baochi.test>", UNIT_ADDRESS, f"Câu hỏi số {i}", "…", arrived),
                        arrived)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(f"MAIL_IN_MAILBOXES = {mailbox.config()!r}\n"
                                        "MAIL_DEFAULT_SENDER = 'Spokes <no-reply@spokes.test>'\n")
    env = {**os.environ, "SPOKES_ENV": "testing", "DATABASE_URL": database_url, "SPOKES_INSTANCE_PATH": str(instance),
           "SPOKES_TEST_IMAP_PASSWORD": imap_server.password}
    command = [str(Path(sys.executable).with_name("flask")), "--app", "spokes", "mail-fetch"]
    processes = [subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    db.session.expire_all()
    assert count(PressRequest) == 12 and len(receipts()) == 12
    assert count(InboundMail) == 12
    assert len({r.uid for r in db.session.execute(select(InboundMail)).scalars()}) == 12
    box = db.session.execute(select(Mailbox)).scalar_one()
    assert box.claim_token is None and box.last_uid == max(mailbox.flags())


def test_the_worker_fetches_the_mailboxes(commune, mailbox, at_ten) -> None:
    from flask import current_app

    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Hỏi qua thư, lấy bởi worker", "Nội dung.", ARRIVED), ARRIVED)
    result = current_app.test_cli_runner().invoke(args=["worker", "--max-ticks", "1", "--interval", "1"])
    assert result.exit_code == 0, result.output
    assert "mail-fetch: 1 mailboxes (0 busy elsewhere), 1 messages (1 new_request)" in result.output
    assert count(PressRequest, PressRequest.subject == "Hỏi qua thư, lấy bởi worker") == 1


def test_filed_mail_moves_to_the_processed_folder_and_quarantined_mail_stays(commune, mailbox, fetch, app,
                                                                              at_ten) -> None:
    app.config["MAIL_IN_MAILBOXES"] = mailbox.config(processed_folder="Spokes")
    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Câu hỏi", "Nội dung.", ARRIVED), ARRIVED)
    broken = mailbox.deliver(m.malformed(ARRIVED), ARRIVED)
    assert "1 new_request, 1 quarantined" in fetch()
    assert list(mailbox.flags()) == [broken]  # only the quarantined one is left in the inbox, flagged
    from .conftest import ImapMailbox

    assert len(ImapMailbox(mailbox.server, folder="Spokes").flags()) == 1
    assert "0 messages" in fetch()


def test_a_new_uidvalidity_rereads_only_what_spokes_has_not_flagged(commune, mailbox, fetch, at_ten) -> None:
    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Thư thứ nhất", "Một.", ARRIVED), ARRIVED)
    fetch()
    # The server renumbered the folder (as after a restore): our stored UIDVALIDITY and UID mean nothing now.
    box = db.session.execute(select(Mailbox)).scalar_one()
    box.uidvalidity, box.last_uid = 1, 10_000
    db.session.commit()
    mailbox.deliver(m.plain(JOURNALIST, UNIT_ADDRESS, "Thư thứ hai", "Hai.", ARRIVED), ARRIVED)
    assert "1 messages (1 new_request)" in fetch()
    db.session.expire_all()
    assert sorted(r.subject for r in db.session.execute(select(PressRequest)).scalars()) == ["Thư thứ hai",
                                                                                              "Thư thứ nhất"]
    box = db.session.execute(select(Mailbox)).scalar_one()
    assert box.uidvalidity != 1 and box.last_uid == max(mailbox.flags())
