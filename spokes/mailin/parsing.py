"""Read one RFC 5322 message (standard ``email`` package): sender, threading headers, text, files.

Pure: no Flask, no database. ``parse`` raises ``Malformed`` for a message that cannot be read
reliably; the caller quarantines it (kept whole, listed for staff, never lost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.errors import (
    MessageDefect,
    MissingHeaderBodySeparatorDefect,
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from spokes.core.markdown import html_to_text

MAX_TEXT = 100_000  # characters of body kept on a request
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
# A request reference in a subject, e.g. "[AM-DHU-2026-00012]".
_REFERENCE = re.compile(r"\[([A-Z0-9][A-Z0-9-]{0,30}-\d{4}-\d{5})\]", re.I)
# Defects after which the structure (parts, attachments) is not what the sender meant.
FATAL_DEFECTS: tuple[type[MessageDefect], ...] = (
    NoBoundaryInMultipartDefect, StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect,
    MissingHeaderBodySeparatorDefect,
)
_ROBOT_SENDERS = ("mailer-daemon", "postmaster")
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class Malformed(ValueError):
    """A message that cannot be parsed reliably; ``str(err)`` says why (for staff)."""


@dataclass
class ParsedFile:
    """An attached file as the sender named it (the name is only shown, never used as a path)."""

    filename: str | None
    data: bytes


@dataclass
class ParsedMail:
    """What Spokes needs of one message."""

    message_id: str | None
    from_address: str
    from_name: str | None
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    files: list[ParsedFile] = field(default_factory=list)
    automatic: str | None = None  # why this is a robot's mail (no request, no receipt), or None

    @property
    def thread_ids(self) -> list[str]:
        """Return the Message-IDs this message answers, nearest first, without repeats."""
        seen: dict[str, None] = {}
        for value in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(value, None)
        return list(seen)[:50]

    def subject_reference(self) -> str | None:
        """Return the request reference written in brackets in the subject, in capitals, or None."""
        match = _REFERENCE.search(self.subject or "")
        return match.group(1).upper() if match else None


def message_ids(value: str | None) -> list[str]:
    """Return the <…> Message-IDs in a header value."""
    return _MSGID.findall(value or "")


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else " ".join(str(value).split())


def automatic_reason(message: EmailMessage, from_address: str) -> str | None:
    """Return why a message comes from a robot (RFC 3834 and common practice), or None.

    Auto-replies, bounces and mailing lists get no request and no receipt, so two robots
    never answer each other forever.
    """
    auto = (_header(message, "Auto-Submitted") or "").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (_header(message, "Precedence") or "").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if message.get(name) is not None:
            return f"{name} (mailing list)"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return name
    return_path = message.get_all("Return-Path") or []
    if any(str(value).strip() in ("<>", "") for value in return_path):
        return "Return-Path: <> (bounce)"
    if message.get_content_type() == "multipart/report":
        return "multipart/report (delivery report)"
    if from_address.split("@")[0].lower() in _ROBOT_SENDERS:
        return f"From: {from_address}"
    return None


def _all_defects(message: EmailMessage) -> list[MessageDefect]:
    defects = list(message.defects)
    for part in message.walk():
        defects.extend(part.defects)
    return defects


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if body.get_content_type() == "text/html":
        return html_to_text(content)
    return str(content)


def _collect(message: EmailMessage, files: list[ParsedFile], texts: list[str], depth: int = 0) -> None:
    """Gather the attachments of a message, and the text and files of forwarded messages in it."""
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822" and depth < 3:
            inner = part.get_content()
            if isinstance(inner, EmailMessage):
                heading = "\n".join(f"{name}: {_header(inner, name)}" for name in ("From", "Date", "Subject")
                                    if inner.get(name) is not None)
                texts.append(f"---------- Thư được chuyển tiếp ----------\n{heading}\n\n{_text_of(inner)}")
                _collect(inner, files, texts, depth + 1)
            continue
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        files.append(ParsedFile(part.get_filename(), data))


def parse(raw: bytes) -> ParsedMail:
    """Parse a raw message; raise ``Malformed`` if its sender or structure cannot be read."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        fatal = [d for d in _all_defects(message) if isinstance(d, FATAL_DEFECTS)]
        if fatal:
            raise Malformed("; ".join(sorted({type(d).__name__ for d in fatal})))
        senders = [(name, address) for name, address in getaddresses([str(v) for v in message.get_all("From") or []])
                   if "@" in address]
        if len(senders) != 1:
            raise Malformed("no single valid From address" if not senders else "several From addresses")
        name, address = senders[0]
        address = address.strip().lower()
        if len(address) > 254 or any(c.isspace() for c in address):
            raise Malformed("invalid From address")
        subject = _header(message, "Subject") or ""
        texts = [_text_of(message)]
        files: list[ParsedFile] = []
        _collect(message, files, texts)
        text = "\n\n".join(t.strip() for t in texts if t and t.strip())
        ids = message_ids(_header(message, "Message-ID"))
        return ParsedMail(
            message_id=ids[0] if ids else None, from_address=address, from_name=" ".join(name.split()) or None,
            subject=subject[:1000], text=text[:MAX_TEXT], in_reply_to=message_ids(_header(message, "In-Reply-To")),
            references=message_ids(_header(message, "References")), files=files,
            automatic=automatic_reason(message, address),
        )
    except Malformed:
        raise
    except (LookupError, ValueError, TypeError, AttributeError, IndexError, UnicodeError) as err:
        # The email package raises these for undecodable headers, charsets or parts.
        raise Malformed(f"cannot be read: {type(err).__name__}: {err}") from err
