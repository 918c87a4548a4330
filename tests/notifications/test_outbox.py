"""The outbox and its sender, against a real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

import email
import smtplib
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import event, func, select, update

from spokes.extensions import db
from spokes.notifications import sender
from spokes.notifications.content import Mail
from spokes.notifications.models import MailAttempt, OutboxMail
from spokes.notifications.services import queue_mail

from .conftest import use_smtp, vn

T0 = vn(2026, 12, 3, 9, 0)

# Servers with and without PIPELINING (RFC 2920): the sender takes a different path on each.
both_servers = pytest.mark.parametrize("smtp_server", [False, True], indirect=True, ids=["plain", "pipelining"])


def _queue(n: int, to: str = "pv{i}@baochi.vn") -> list[int]:
    rows = [queue_mail(to.format(i=i), Mail(f"[AM-DHU-2026-{i:05d}] Thư số {i}: du lịch cộng đồng", f"Nội dung {i}",
                                            f"<p>Nội dung {i}</p>", "vi"), kind="test") for i in range(n)]
    db.session.commit()
    return [r.id for r in rows]


def _rows() -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())


@both_servers
def test_a_receipt_goes_out_as_multipart_mail_with_reference_due_date_and_link(app, smtp_server, make_request, commune,
                                                                               frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_server, PUBLIC_BASE_URL="https://spokes.kiengiang.gov.vn")
    req = make_request(commune.unit, subject="Phát triển du lịch cộng đồng ở rừng U Minh Thượng và Vân Khánh")

    stats = sender.send_pending()

    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 0)
    [message] = smtp_server.handler.messages
    assert smtp_server.handler.envelopes[0] == ("no-reply@spokes.local", ["pv@baochi.vn"])
    # The subject survives header encoding intact (Python 3.11 folding would drop a space).
    assert message["Subject"] == f"[{req.reference}] Đã tiếp nhận câu hỏi: " \
                                 "Phát triển du lịch cộng đồng ở rừng U Minh Thượng và Vân Khánh"
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "vi"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    due = req.due_at.astimezone(vn(2026, 1, 1).tzinfo).strftime("%d/%m/%Y %H:%M")
    link = f"https://spokes.kiengiang.gov.vn/track/{req.tracking_token}"
    for body in (text, html):
        assert req.reference in body and due in body and link in body
    assert "<html" in html and "<script" not in html
    [row] = _rows()
    assert (row.status, row.attempts, row.sent_at, row.claim_token, row.claimed_until) == ("sent", 1, T0, None, None)
    assert message["Message-ID"] == row.message_id
    # The outbox keeps what was sent, but not a working tracking link.
    for stored in (row.body_text, row.body_html):
        assert req.tracking_token not in stored and "https://spokes.kiengiang.gov.vn/track/…" in stored
        assert req.reference in stored and due in stored
    attempt = db.session.execute(select(MailAttempt)).scalar_one()
    assert (attempt.mail_id, attempt.number, attempt.outcome, attempt.transport) == (row.id, 1, "sent", "smtp")


def test_server_down_then_back_delivers_every_mail_exactly_once(app, smtp_down, frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_down)
    ids = _queue(3)

    first = sender.send_pending()

    assert (first.sent, first.retried, first.failed, first.unreachable) == (0, 3, 0, True)
    for row in _rows():
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == T0 + timedelta(seconds=60)
        assert "refused" in row.last_error.lower() or "errno" in row.last_error.lower()
        assert row.claim_token is None
    assert db.session.execute(select(func.count()).select_from(MailAttempt)
                              .where(MailAttempt.outcome == "retry")).scalar_one() == 3

    # Still backing off: nothing is tried before next_attempt_at.
    frozen_clock(T0 + timedelta(seconds=59))
    assert sender.send_pending().retried == 0

    smtp_down.start()
    frozen_clock(T0 + timedelta(seconds=61))
    second = sender.send_pending()
    third = sender.send_pending()

    assert (second.sent, third.sent) == (3, 0)
    received = smtp_down.handler.message_ids()
    assert len(received) == 3 and len(set(received)) == 3
    assert sorted(received) == sorted(r.message_id for r in _rows())
    assert [(r.id, r.status, r.attempts) for r in _rows()] == [(i, "sent", 2) for i in ids]


def test_backoff_doubles_then_gives_up_and_resend_queues_again(app, smtp_down, frozen_clock, runner):
    use_smtp(app, smtp_down, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=10)
    frozen_clock(T0)  # before queueing: the mail is due at T0 whatever the real date is
    _queue(1)
    moment, gaps = T0, []
    for _ in range(3):
        frozen_clock(moment)
        sender.send_pending()
        [row] = _rows()
        gaps.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at

    [row] = _rows()
    assert (row.status, row.attempts) == ("failed", 3)
    assert gaps[:2] == [timedelta(seconds=10), timedelta(seconds=20)]
    assert [a.outcome for a in db.session.execute(select(MailAttempt).order_by(MailAttempt.id)).scalars()] == \
        ["retry", "retry", "failed"]
    frozen_clock(moment + timedelta(days=1))
    assert sender.send_pending().sent == 0  # failed rows are kept, not retried on their own

    result = runner.invoke(args=["outbox-resend", "--all-failed"])
    assert result.exit_code == 0 and "1" in result.output
    smtp_down.start()
    assert sender.send_pending().sent == 1
    [row] = _rows()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(smtp_down.handler.messages) == 1


@both_servers
def test_a_refused_recipient_fails_at_once_and_the_rest_still_go(app, smtp_server, frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_server)
    smtp_server.handler.refuse = {"pv1@baochi.vn"}
    _queue(3)

    stats = sender.send_pending()

    assert (stats.sent, stats.failed) == (2, 1)
    assert [(r.to_address, r.status, r.attempts) for r in _rows()] == [
        ("pv0@baochi.vn", "sent", 1), ("pv1@baochi.vn", "failed", 1), ("pv2@baochi.vn", "sent", 1)]
    assert "550" in _rows()[1].last_error


@both_servers
def test_a_failure_midway_keeps_the_batch_sent_and_retries_only_the_failed_mail(app, smtp_server, frozen_clock):
    """The batch's results are committed together: the mails sent before and after a failure stay sent."""
    frozen_clock(T0)
    use_smtp(app, smtp_server, MAIL_BATCH_SIZE=10)
    smtp_server.handler.busy = {"pv2@baochi.vn"}
    _queue(5)

    stats = sender.send_pending()

    assert (stats.sent, stats.retried, stats.failed) == (4, 1, 0)
    assert [(r.status, r.attempts) for r in _rows()] == [
        ("sent", 1), ("sent", 1), ("pending", 1), ("sent", 1), ("sent", 1)]
    assert "451" in _rows()[2].last_error
    assert sender.send_pending().sent == 0  # waiting out its backoff; the sent ones are not sent again

    smtp_server.handler.busy = set()
    frozen_clock(T0 + timedelta(hours=1))
    assert sender.send_pending().sent == 1
    assert [(r.status, r.attempts) for r in _rows()] == [("sent", 1)] * 2 + [("sent", 2)] + [("sent", 1)] * 2
    ids = smtp_server.handler.message_ids()
    assert len(ids) == len(set(ids)) == 5  # every mail exactly once
    assert db.session.execute(select(func.count()).select_from(MailAttempt)).scalar_one() == 6


def test_an_unexpected_error_midway_still_records_what_was_sent(app, smtp_server, frozen_clock, monkeypatch):
    frozen_clock(T0)
    use_smtp(app, smtp_server, MAIL_BATCH_SIZE=10)
    _queue(3)
    real = sender.build_message

    def broken(mail, sender_address):
        if mail.to_address == "pv1@baochi.vn":
            raise RuntimeError("a bug")
        return real(mail, sender_address)

    monkeypatch.setattr(sender, "build_message", broken)
    with pytest.raises(RuntimeError):
        sender.send_pending()
    assert [r.status for r in _rows()] == ["sent", "pending", "pending"]
    assert len(smtp_server.handler.messages) == 1


def test_without_mail_server_each_mail_becomes_an_eml_file(app, tmp_path, frozen_clock):
    frozen_clock(T0)
    app.config.update(MAIL_SERVER=None, MAIL_FILE_DIR=str(tmp_path / "mail"))
    _queue(2)

    assert sender.send_pending().sent == 2

    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temporary file left behind
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "pv0@baochi.vn"
    assert message["Subject"] == "[AM-DHU-2026-00000] Thư số 0: du lịch cộng đồng"
    assert message.get_body(("plain",)).get_content().strip() == "Nội dung 0"
    assert message.get_body(("html",)).get_content().strip() == "<p>Nội dung 0</p>"
    assert {r.status for r in _rows()} == {"sent"}
    assert db.session.execute(select(MailAttempt.transport)).scalars().all() == ["file", "file"]

    # Delivered again after a crash before the commit: the same file is overwritten, not duplicated.
    db.session.execute(OutboxMail.__table__.update().values(status="pending"))
    db.session.commit()
    assert sender.send_pending().sent == 2
    assert sorted((tmp_path / "mail").iterdir()) == files


def test_a_crashed_senders_claim_expires_and_is_taken_over_once(app, smtp_server, frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_server, MAIL_CLAIM_SECONDS=600)
    _queue(2)
    token, claimed = sender.claim(10, timedelta(seconds=600))  # a sender claims, then dies
    assert len(claimed) == 2

    frozen_clock(T0 + timedelta(seconds=599))
    assert sender.send_pending().sent == 0  # leased: nobody else may take them yet

    frozen_clock(T0 + timedelta(seconds=601))
    assert sender.send_pending().sent == 2
    assert len(smtp_server.handler.messages) == 2

    # The dead sender's late result cannot overwrite the row or release another's claim.
    assert sender.finish(claimed[0], token, sender.AttemptOutcome.RETRY, "late", T0, "smtp") is False
    assert [(r.status, r.attempts) for r in _rows()] == [("sent", 1), ("sent", 1)]


def _send_a_bad_then_a_good_mail(app, smtp_server, bad_address: str) -> None:
    """Queue a mail to ``bad_address`` and one to a good address, send, and check only the good one left."""
    use_smtp(app, smtp_server)
    queue_mail(bad_address, Mail("Chào", "x", "", "vi"), kind="test")
    queue_mail("ok@baochi.vn", Mail("Chào", "x", "", "vi"), kind="test")
    db.session.commit()

    stats = sender.send_pending()

    assert (stats.sent, stats.failed) == (1, 1)
    assert [e[1] for e in smtp_server.handler.envelopes] == [["ok@baochi.vn"]]


@both_servers
def test_a_header_injection_attempt_fails_that_mail_only(app, smtp_server, frozen_clock):
    frozen_clock(T0)
    _send_a_bad_then_a_good_mail(app, smtp_server, "pv@baochi.vn\nBcc: victim@example.com")
    bad = _rows()[0]
    assert (bad.status, bad.attempts) == ("failed", 1) and "cannot build" in bad.last_error


@both_servers
def test_a_batch_is_recorded_in_a_few_statements_whatever_its_size(app, smtp_server, frozen_clock):
    """One UPDATE per kind of outcome and one INSERT of the attempts, not two statements a mail."""
    frozen_clock(T0)
    use_smtp(app, smtp_server, MAIL_BATCH_SIZE=50)
    smtp_server.handler.busy = {"pv3@baochi.vn"}
    smtp_server.handler.refuse = {"pv7@baochi.vn"}
    _queue(40)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        stats = sender.send_pending()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert (stats.sent, stats.retried, stats.failed) == (38, 1, 1)
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert len(writes) <= 5, writes  # the claim, then sent, retried, failed and the attempts
    assert [(r.status, r.attempts) for r in _rows()][2:8] == [
        ("sent", 1), ("pending", 1), ("sent", 1), ("sent", 1), ("sent", 1), ("failed", 1)]
    assert {r.sent_at for r in _rows() if r.status == "sent"} == {T0}
    assert db.session.execute(select(func.count()).select_from(MailAttempt)).scalar_one() == 40
    assert len(smtp_server.handler.messages) == 38


def test_a_row_taken_over_during_the_batch_keeps_the_new_owners_state(app, frozen_clock):
    """Recording a batch touches only the rows still held; the others' attempts are still logged."""
    frozen_clock(T0)
    ids = _queue(3)

    class Thief:
        name = "file"
        sent: list[int] = []

        def send(self, mail, _message):
            if mail.id == ids[1]:  # as if this sender stalled and another took the row meanwhile
                db.session.execute(update(OutboxMail).where(OutboxMail.id == mail.id)
                                   .values(claim_token="someone-else"))
            self.sent.append(mail.id)

        def close(self):
            pass

    assert sender.send_pending(transport=Thief()).sent == 3
    rows = _rows()
    assert [(r.status, r.claim_token) for r in rows] == [("sent", None), ("pending", "someone-else"), ("sent", None)]
    assert db.session.execute(select(func.count()).select_from(MailAttempt)).scalar_one() == 3


@both_servers
def test_a_non_ascii_address_fails_that_mail_only(app, smtp_server, frozen_clock):
    frozen_clock(T0)
    _send_a_bad_then_a_good_mail(app, smtp_server, "phóngviên@báochí.vn")
    assert [r.status for r in _rows()] == ["failed", "sent"]


def test_the_eml_folder_is_synced_before_the_batch_counts_as_sent(app, tmp_path, frozen_clock, monkeypatch):
    """If the folder cannot be synced, the batch's files may not survive a crash: they are written again later."""
    frozen_clock(T0)
    app.config.update(MAIL_SERVER=None, MAIL_FILE_DIR=str(tmp_path / "mail"))
    _queue(3)

    def broken(self) -> None:
        raise sender.DeliveryError("cannot sync the folder", connection=True)

    monkeypatch.setattr(sender.FileTransport, "flush", broken)
    stats = sender.send_pending()

    assert (stats.sent, stats.retried) == (0, 3)
    assert [(r.status, r.attempts) for r in _rows()] == [("pending", 1)] * 3
    assert "sync" in _rows()[0].last_error

    monkeypatch.undo()
    frozen_clock(T0 + timedelta(hours=1))
    assert sender.send_pending().sent == 3
    assert len(list((tmp_path / "mail").iterdir())) == 3  # the same files, written again


@pytest.mark.parametrize("subject", [
    "Chào",
    "[AM-DHU-2026-00042] Sắp đến hạn trả lời: Tiến độ nạo vét kênh Xẻo Nhàu và kinh phí thực hiện năm 2026",
    "Đ" * 120,
    "Hỏi về  dự án 🚧🌾 ở  xã Vân Khánh ",
    "a" * 41 + "ế" + "b" * 80 + "ờ",
])
def test_a_subject_reads_back_exactly_with_short_lines(subject):
    mail = sender.Claimed(1, "pv@baochi.vn", subject, "x", None, "vi", "<1@spokes.local>", 0, T0)
    raw = sender.build_message(mail, "Spokes <no-reply@spokes.local>")

    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == " ".join(subject.split())
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_mails_about_requests_carry_their_conversation_read_once_a_batch(app, smtp_server, make_request, commune,
                                                                         frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_server, MAIL_BATCH_SIZE=50)
    requests = [make_request(commune.unit, subject=f"Yêu cầu số {n}") for n in range(2)]
    for n in range(3):
        frozen_clock(T0 + timedelta(minutes=n + 1))  # the conversation is in time order
        for req in requests:
            queue_mail("pv@baochi.vn", Mail(f"[{req.reference}] Thư {n}", "x", "", "vi"), kind="test",
                       request_id=req.id)
    db.session.commit()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sender.send_pending()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    received = {str(m["Message-ID"]): m for m in smtp_server.handler.messages}
    for req in requests:
        ids = [r.message_id for r in _rows() if r.request_id == req.id]
        assert len(ids) == 4  # the receipt, then three
        for k, message_id in enumerate(ids):
            message = received[message_id]
            assert message["In-Reply-To"] == (ids[k - 1] if k else None)
            assert (str(message["References"]).split() if k else []) == ids[:k]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 8, reads  # not three a mail


@pytest.mark.parametrize("smtp_server", [True], indirect=True, ids=["pipelining"])
def test_a_pipelining_server_gets_mail_rcpt_and_data_in_one_packet(app, smtp_server, frozen_clock, monkeypatch):
    frozen_clock(T0)
    use_smtp(app, smtp_server)
    _queue(3)
    packets: list[bytes] = []
    real_send = smtplib.SMTP.send

    def send(self, data):
        packets.append(data if isinstance(data, bytes) else data.encode("ascii"))
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    monkeypatch.setattr(smtplib.SMTP, "sendmail", lambda *_a, **_k: pytest.fail("sent without pipelining"))

    assert sender.send_pending().sent == 3

    envelopes = [p for p in packets if p.startswith(b"MAIL FROM:")]
    assert len(envelopes) == 3
    assert all(b"\r\nRCPT TO:<pv" in p and p.endswith(b"\r\nDATA\r\n") for p in envelopes)
    assert len(smtp_server.handler.message_ids()) == 3
