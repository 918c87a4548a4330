"""Real RFC 5322 messages as journalists' mail programs, robots and broken senders write them."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from datetime import datetime

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
VIETNAMESE_FILENAME = "Công văn đề nghị số 12.pdf"


def message_ids_of(raw: bytes) -> str:
    """Return the Message-ID header of a raw message."""
    from email import message_from_bytes
    from email.policy import default

    return str(message_from_bytes(raw, policy=default)["Message-ID"])


def _base(sender: str, to: str, subject: str, when: datetime, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain="baochi.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def plain(sender: str, to: str, subject: str, body: str, when: datetime, **headers: str) -> bytes:
    """Return a plain-text message."""
    message = _base(sender, to, subject, when, **headers)
    message.set_content(body)
    return message.as_bytes(policy=SMTP)


def html_only(sender: str, to: str, subject: str, html: str, when: datetime) -> bytes:
    """Return a message with only an HTML body (as many webmail programs send)."""
    message = _base(sender, to, subject, when)
    message.set_content(html, subtype="html")
    return message.as_bytes(policy=SMTP)


def with_attachments(sender: str, to: str, subject: str, body: str, when: datetime,
                     files: list[tuple[str, str, bytes]]) -> bytes:
    """Return a multipart message with files (Vietnamese names are RFC 2231 encoded)."""
    message = _base(sender, to, subject, when)
    message.set_content(body)
    for name, mime, data in files:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes(policy=SMTP)


def forward(sender: str, to: str, when: datetime, original: bytes) -> bytes:
    """Return a forward: a short note with the original message attached (message/rfc822)."""
    from email import message_from_bytes
    from email.policy import default

    message = _base(sender, to, "Fwd: Phản ánh của bạn đọc về đường giao thông", when)
    message.set_content("Chuyển tiếp phản ánh của bạn đọc, đề nghị UBND xã trả lời.")
    message.add_attachment(message_from_bytes(original, policy=default))
    return message.as_bytes(policy=SMTP)


def auto_reply(sender: str, to: str, when: datetime, in_reply_to: str | None = None) -> bytes:
    """Return an out-of-office reply (RFC 3834 Auto-Submitted: auto-replied)."""
    headers = {"Auto_Submitted": "auto-replied"}
    if in_reply_to:
        headers |= {"In_Reply_To": in_reply_to, "References": in_reply_to}
    return plain(sender, to, "Trả lời tự động: Tôi đang đi công tác", "Tôi vắng mặt đến thứ Hai.", when, **headers)


def bounce(to: str, when: datetime) -> bytes:
    """Return a delivery status notification from a mailer daemon, with an empty return path."""
    message = _base("Mail Delivery System <MAILER-DAEMON@mx.baochi.test>", to,
                    "Undelivered Mail Returned to Sender", when)
    message["Return-Path"] = "<>"
    message.set_content("This is the mail system at host mx.baochi.test.\n\nThe message could not be delivered.")
    message.add_attachment("Reporting-MTA: dns; mx.baochi.test\n\nFinal-Recipient: rfc822; x@baochi.test\n"
                           "Action: failed\nStatus: 5.1.1\n", subtype="delivery-status")
    message.replace_header("Content-Type", message.get("Content-Type").replace("multipart/mixed", "multipart/report"))
    return message.as_bytes(policy=SMTP)


def malformed(when: datetime) -> bytes:
    """Return a broken message: no From, a multipart without boundary, garbage bytes."""
    return (b"Subject: =?utf-8?B?bad\r\n"
            b"Date: " + format_datetime(when).encode() + b"\r\n"
            b"Content-Type: multipart/mixed\r\n"
            b"\r\n"
            b"\xff\xfe garbage without any boundary\r\n")
