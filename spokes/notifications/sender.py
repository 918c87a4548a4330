"""Deliver the outbox: claim pending rows, send them over SMTP (or write .eml files), record each try.

This module is job code, like a CLI command: it owns its transactions and commits.

How a row travels
-----------------
1. **Claim** (one short transaction): pick up to ``MAIL_BATCH_SIZE`` rows that are pending,
   due (``next_attempt_at <= now``) and not leased by another sender; stamp them with a
   random ``claim_token`` and a lease ``claimed_until = now + MAIL_CLAIM_SECONDS`` (a minute);
   commit. While it sends, the sender renews the lease of the rows it still holds whenever a
   quarter of it has passed (``renew``), so a killed sender's rows come free about a minute
   after its last heartbeat.
   On PostgreSQL the SELECT is ``FOR UPDATE SKIP LOCKED``, so concurrent senders on several
   servers take disjoint rows without waiting. On SQLite the transaction starts with
   ``BEGIN IMMEDIATE`` (spokes/core/db.py), which serialises claims.
2. **Deliver** each claimed row over one SMTP connection, reused from batch to batch. The
   conversation headers of the batch's mails about requests are read once for the batch. On a
   server that announces PIPELINING (RFC 2920) MAIL, RCPT and DATA go in one packet: two round
   trips a mail instead of four. Each outcome is kept in memory.
3. **Finish** (no transaction of its own): when the batch ends, its outcomes are written in a
   few statements, ``UPDATE … SET status = 'sent' … WHERE id = :id AND claim_token = :token``
   (one executemany per kind of outcome, pipelined by psycopg) and one INSERT of the
   ``outbox_attempts`` rows, in the transaction that then claims the next batch, so a batch
   costs one commit. The heartbeat, a stop, the last batch and an unexpected error write and
   commit the outcomes known so far at once. A row whose claim was lost is left as its new
   owner has it. A failure instead sets ``last_error``, counts the
   attempt and schedules the next one with exponential backoff (``MAIL_RETRY_BASE_SECONDS`` ×
   2^(attempts − 1), at most ``MAIL_RETRY_MAX_SECONDS``); after ``MAIL_MAX_ATTEMPTS`` tries, or
   at once on a permanent (5xx) refusal, the row becomes ``failed`` and stays for
   ``flask --app spokes outbox-resend``. One refused or unbuildable mail fails alone; when the
   server cannot be reached at all, every row of the batch not yet sent gets that failed attempt
   and backoff, and this run stops sending.

The guarantee
-------------
Nothing is lost: a row leaves ``pending`` only after the server accepted it (``sent``) or after
the last attempt (``failed``, kept for resend). A sender that dies after claiming leaves rows
whose lease simply runs out; another sender takes them then.

Exactly once under normal operation: a row is claimed by one sender at a time and is marked
sent before its claim is released. A send starts only with three quarters of the lease ahead
(the heartbeat renews it first), and ``MAIL_TIMEOUT`` (20 s) bounds a send well inside that, so
no other sender can take a row while it may still be sending it (this assumes server clocks
agree to within a few seconds).

Duplicates only if the process dies (or loses the database) between the SMTP server's
"250 accepted" and the commit of ``sent``: at the latest, the commit of the next batch's claim
(``MAIL_BATCH_SIZE`` rows, well under a second; at most a quarter of the lease, when the
heartbeat commits first). The lease then expires and those rows are delivered again. A failed
delivery is not such a death: the rows sent before it stay sent, the failed one is retried.
Every try carries the same stored ``Message-ID`` header, so mail systems and readers can
recognise the copy. SMTP itself offers no more: the "250" can be lost on the wire after the
server took the message.

The ``.eml`` fallback has no such window: the file name is fixed per row, so a second delivery
overwrites the same file. A batch's files are written under hidden temporary names, then synced
together (concurrent fsyncs share the journal's commits), renamed into place and the folder
synced once, all before the batch is recorded as sent; if that fails the batch is retried. A
crash before then leaves only hidden ``.….tmp`` files, never a partial ``.eml``.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time as _time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from flask import current_app
from sqlalchemy import bindparam, insert, or_, select, update

from spokes.core.clock import now
from spokes.core.db import rowcount
from spokes.extensions import db
from spokes.notifications.content import redact_tracking_links
from spokes.notifications.models import AttemptOutcome, MailAttempt, MailStatus, OutboxAttachment, OutboxMail
from spokes.mailin.services import thread_headers, thread_headers_for

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"[:120]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _int(name: str, default: int) -> int:
    value = current_app.config.get(name)
    return int(value) if value not in (None, "") else default


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, detached from the session so delivery needs no database."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    locale: str
    message_id: str
    attempts: int
    created_at: datetime
    attachment_count: int = 0
    request_id: int | None = None
    # (In-Reply-To, References, Reply-To) of a mail about a request, read for the whole batch at once.
    thread: tuple[str | None, list[str], str | None] | None = None


class DeliveryError(Exception):
    """A delivery failed. ``permanent`` means retrying cannot help; ``connection`` that nothing got through."""

    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection


class Transport(Protocol):
    """Somewhere mails go: an SMTP server or a folder of .eml files."""

    name: str

    def send(self, mail: Claimed, message: bytes) -> None:
        """Deliver one message (its bytes) or raise DeliveryError."""

    def close(self) -> None:
        """Release what the transport holds."""


class SmtpTransport:
    """Send over SMTP with smtplib, one connection reused for a batch."""

    name = "smtp"

    def __init__(self, config: Any) -> None:
        self.host = config["MAIL_SERVER"]
        self.port = int(config.get("MAIL_PORT") or (465 if _flag(config.get("MAIL_USE_SSL")) else 25))
        self.use_ssl = _flag(config.get("MAIL_USE_SSL"))
        self.use_tls = _flag(config.get("MAIL_USE_TLS"))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.timeout = float(config.get("MAIL_TIMEOUT") or 30)
        self.sender = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1] or "no-reply@spokes.local"
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                     context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.ehlo_or_helo_if_needed()  # learn now whether the server pipelines
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {err!r}", connection=True) from err
        return smtp

    def send(self, mail: Claimed, message: bytes) -> None:
        """Send one message; reconnect once if the server dropped a reused connection."""
        for retry in (False, True):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                if self._smtp.has_extn("pipelining"):
                    refused = _pipelined_sendmail(self._smtp, self.sender, mail.to_address, message)
                else:
                    refused = self._smtp.sendmail(self.sender, [mail.to_address], message)
            except smtplib.SMTPServerDisconnected as err:
                self._smtp = None
                if retry:
                    raise DeliveryError(f"SMTP disconnected: {err!r}", connection=True) from err
                continue
            except smtplib.SMTPRecipientsRefused as err:
                codes = [code for code, _msg in err.recipients.values()]
                raise DeliveryError(f"recipient refused: {err.recipients!r}",
                                    permanent=all(code >= 500 for code in codes)) from err
            except smtplib.SMTPResponseException as err:
                raise DeliveryError(f"SMTP {err.smtp_code}: {err.smtp_error!r}", permanent=err.smtp_code >= 500) from err
            except smtplib.SMTPNotSupportedError as err:
                raise DeliveryError(f"SMTP: {err!r}", permanent=True) from err
            except (OSError, smtplib.SMTPException) as err:
                self._drop()
                raise DeliveryError(f"SMTP: {err!r}", connection=True) from err
            if refused:
                raise DeliveryError(f"recipient refused: {refused!r}", permanent=True)
            return

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                pass
        self._smtp = None

    def close(self) -> None:
        """Say QUIT politely, or just drop the connection."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self._drop()


def _pipelined_sendmail(smtp: smtplib.SMTP, sender: str, to_address: str, message: bytes) -> dict[str, Any]:
    """Send one message as ``smtp.sendmail`` does, with MAIL, RCPT and DATA in one packet (RFC 2920).

    Two round trips a mail instead of four, on servers that announce PIPELINING (Postfix,
    Exim, Exchange do). Raises the same smtplib exceptions as ``sendmail``, after putting the
    session back in a clean state (RSET), so the caller treats both paths alike.
    """
    options = f" SIZE={len(message)}" if smtp.has_extn("size") else ""
    commands = f"MAIL FROM:{_quote(sender)}{options}\r\nRCPT TO:{_quote(to_address)}\r\nDATA\r\n"
    smtp.send(commands.encode("ascii"))
    # Every reply is read, whatever the first ones say, to stay in step with the server.
    (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = (
        smtp.getreply(), smtp.getreply(), smtp.getreply())
    if data_code == 354 and (mail_code != 250 or rcpt_code not in (250, 251)):
        # A server should refuse DATA without a recipient; if it did not, end an empty message it cannot deliver.
        smtp.send(b".\r\n")
        data_code, data_reply = smtp.getreply()
    if mail_code == 421 or rcpt_code == 421 or data_code == 421:
        smtp.close()  # the server is closing the session: the next mail reconnects
    elif mail_code != 250 or rcpt_code not in (250, 251) or data_code != 354:
        _reset(smtp)
    if mail_code != 250:
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    if rcpt_code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to_address: (rcpt_code, rcpt_reply)})
    if data_code != 354:
        raise smtplib.SMTPDataError(data_code, data_reply)
    # Lines that start with a dot get a second one (RFC 5321 4.5.2); then the end of data.
    body = _LEADING_DOT.sub(b"..", message) if message.startswith(b".") or b"\n." in message else message
    smtp.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
    code, reply = smtp.getreply()
    if code != 250:
        if code == 421:
            smtp.close()
        else:
            _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)
    return {}


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _quote(address: str) -> str:
    """Return an envelope address in angle brackets, as smtplib.quoteaddr does (without parsing a plain one)."""
    return f"<{address}>" if _PLAIN_ADDRESS.match(address) else smtplib.quoteaddr(address)


def _reset(smtp: smtplib.SMTP) -> None:
    """Abort the mail transaction after a refusal, as sendmail does; a dead connection is left for the next send."""
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


class FileTransport:
    """Write each mail as an .eml file (no SMTP configured: the offline demo), atomically.

    A batch's files are written under temporary names as it goes and made durable together
    by ``flush``, before the sender records them as sent.
    """

    name = "file"
    # Concurrent fsyncs share the file system journal's commits: 50 files cost about what a few do.
    sync_threads = 8

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._pending: list[tuple[Path, Path]] = []  # (temporary, final name) not yet synced

    @staticmethod
    def file_name(mail: Claimed) -> str:
        """Return the fixed file name of a row: a second delivery overwrites, never duplicates."""
        return f"{mail.created_at:%Y%m%d-%H%M%S}-{mail.id:08d}.eml"

    def send(self, mail: Claimed, message: bytes) -> None:
        """Write the message to a temporary file; ``flush`` syncs it and renames it into place."""
        target = self.directory / self.file_name(mail)
        temporary = self.directory / f".{target.name}.{uuid.uuid4().hex}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # 0600: a mail may carry a tracking link, which opens a journalist's request.
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                fh.write(message)
        except OSError as err:
            _unlink(temporary)
            raise DeliveryError(f"cannot write {self.directory}: {err!r}", connection=True) from err
        self._pending.append((temporary, target))

    def flush(self) -> None:
        """Sync the files written since the last flush, rename them into place, then sync the folder once.

        Until this returns, a crash leaves at most hidden temporary files, never a partial .eml
        under its final name; the sender records the batch as sent only afterwards. On failure
        the batch's temporary files are removed and its mails retried (the same names again).
        """
        pending, self._pending = self._pending, []
        if not pending:
            return
        try:
            with ThreadPoolExecutor(min(self.sync_threads, len(pending))) as pool:
                list(pool.map(_fsync_path, [temporary for temporary, _target in pending]))
            for temporary, target in pending:
                os.replace(temporary, target)
            _fsync_path(self.directory, os.O_RDONLY)
        except OSError as err:
            for temporary, _target in pending:
                _unlink(temporary)
            raise DeliveryError(f"cannot sync {self.directory}: {err!r}", connection=True) from err

    def close(self) -> None:
        """Remove the files of a batch that was never flushed: its mails were not recorded as sent."""
        pending, self._pending = self._pending, []
        for temporary, _target in pending:
            _unlink(temporary)


def _fsync_path(path: Path, flags: int = os.O_WRONLY) -> None:
    """Flush a file (or, read-only, a folder) to disk by its path."""
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("outbox: cannot remove %s", path)


def mail_directory() -> Path:
    """Return where .eml files go: MAIL_FILE_DIR, or instance/mail."""
    configured = current_app.config.get("MAIL_FILE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "mail"


def make_transport() -> Transport:
    """Return the SMTP transport when MAIL_SERVER is set, else the .eml folder."""
    if current_app.config.get("MAIL_SERVER"):
        return SmtpTransport(current_app.config)
    return FileTransport(mail_directory())


def build_message(mail: Claimed, sender: str) -> bytes:
    """Build the MIME message as bytes: plain text plus an HTML alternative, with a stable Message-ID.

    Written out directly (base64 bodies, RFC 2047 subject, RFC 2231 file names) with the
    stdlib's encoders: the ``email`` package's generator costs several milliseconds a mail,
    which capped the outbox near 100 mails a second. Every line ends in CRLF, as SMTP wants.
    """
    subject = " ".join(mail.subject.split())
    headers = [
        ("Subject", subject if subject.isascii() else _encoded_words(subject)),
        ("From", _address(sender)),
        ("To", _address(mail.to_address)),
        ("Date", format_datetime(mail.created_at)),
        ("Message-ID", _one_line(mail.message_id)),
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no auto-replies to us
        ("Content-Language", _one_line(mail.locale)),
        ("MIME-Version", "1.0"),
    ]
    if mail.request_id is not None:
        # The request's e-mail conversation: replies come back to the unit's mailbox and join
        # the request by these headers (spokes/mailin); the subject already carries the reference.
        in_reply_to, references, reply_to = (mail.thread if mail.thread is not None
                                             else thread_headers(mail.request_id, mail.id))
        if in_reply_to:
            headers.append(("In-Reply-To", _one_line(in_reply_to)))
        if references:
            headers.append(("References", _one_line(" ".join(references))))
        if reply_to:
            headers.append(("Reply-To", _address(reply_to)))
    body = _text_part("plain", mail.body_text)
    if mail.body_html:
        body = _multipart("alternative", [body, _text_part("html", mail.body_html)])
    if mail.attachment_count:  # only mails that carry files (official letters) read them
        files = db.session.execute(
            select(OutboxAttachment.filename, OutboxAttachment.content_type, OutboxAttachment.data)
            .where(OutboxAttachment.mail_id == mail.id).order_by(OutboxAttachment.id)).all()
        body = _multipart("mixed", [body, *(_file_part(name, content_type, data) for name, content_type, data in files)])
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("ascii") + body


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"line break in a header: {value!r}")
    return value


_BASE64_LINE = re.compile(rb".{1,76}", re.DOTALL)


def _base64(data: bytes) -> bytes:
    """Return data in base64, 76 characters a line, each ending in CRLF (one C-level pass, not a call per line)."""
    encoded = base64.b64encode(data)
    return b"\r\n".join(_BASE64_LINE.findall(encoded)) + b"\r\n" if encoded else b""


# An encoded word is at most 75 characters (RFC 2047): 42 bytes make 56 base64 characters, so
# even the first line, "Subject: " and one word, stays within 78.
_WORD_BYTES = 42


def _encoded_words(text: str) -> str:
    """Return text as RFC 2047 base64 encoded words, one a line, split between characters (never inside one).

    The whitespace between encoded words is dropped by readers, and the text's own spaces are
    inside the words, so the subject reads back exactly; ``email.header`` did the same a
    character at a time, most of the cost of building a message.
    """
    data, words, start = text.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: step back
            end -= 1
        words.append(data[start:end])
        start = end
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def _text_part(subtype: str, text: str) -> bytes:
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            .encode("ascii") + _base64(text.encode("utf-8")))


def _file_part(name: str, content_type: str, data: bytes) -> bytes:
    maintype, _slash, subtype = content_type.partition("/")
    kind = f"{_one_line(maintype)}/{_one_line(subtype or 'octet-stream')}"
    encoded = name if name.isascii() and '"' not in name and "\\" not in name else None
    disposition = f'filename="{_one_line(encoded)}"' if encoded else f"filename*=utf-8''{quote(name, safe='')}"
    return (f"Content-Type: {kind}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {disposition}\r\n\r\n").encode("ascii") + _base64(data)


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"=_spokes_{uuid.uuid4().hex}"  # "=_" never starts a base64 line
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")]
    for part in parts:
        out += [f"--{boundary}\r\n".encode("ascii"), part, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(out)


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\Z")


@functools.lru_cache(maxsize=64)  # the sender's own address, the same in every mail
def _address(value: str) -> str:
    """Return an address header, its display name encoded when it is not ASCII; refuse line breaks."""
    if _PLAIN_ADDRESS.match(value):  # most are: nothing to parse or encode
        return value
    if "\n" in value or "\r" in value:
        raise ValueError(f"line break in an address: {value!r}")
    name, address = parseaddr(value)
    # A long display name is folded by the encoder with bare LFs; SMTP wants CRLF.
    return formataddr((name, address), charset="utf-8").replace("\n", "\r\n") if address else value


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the given number of failed attempts (exponential, capped)."""
    base = _int("MAIL_RETRY_BASE_SECONDS", 60)
    cap = _int("MAIL_RETRY_MAX_SECONDS", 2 * 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


# --------------------------------------------------------------------------- claim, finish, release


def claim(limit: int, lease: timedelta) -> tuple[str, list[Claimed]]:
    """Lease up to ``limit`` due rows to this sender and commit; return the claim token and the rows."""
    token = uuid.uuid4().hex
    moment = now()
    ids = list(db.session.execute(
        select(OutboxMail.id)
        .where(OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at <= moment,
               or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < moment))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars())
    rows: list[Claimed] = []
    if ids:
        db.session.execute(
            update(OutboxMail).where(OutboxMail.id.in_(ids))
            .values(claimed_until=moment + lease, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        rows = [Claimed(*r) for r in db.session.execute(
            select(OutboxMail.id, OutboxMail.to_address, OutboxMail.subject, OutboxMail.body_text,
                   OutboxMail.body_html, OutboxMail.locale, OutboxMail.message_id, OutboxMail.attempts,
                   OutboxMail.created_at, OutboxMail.attachment_count, OutboxMail.request_id)
            .where(OutboxMail.id.in_(ids)).order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        ).all()]
    db.session.commit()
    return token, rows


@dataclass(frozen=True)
class Result:
    """How one try at a claimed row ended, kept in memory until its batch is recorded."""

    mail: Claimed
    outcome: AttemptOutcome
    error: str | None
    started: datetime
    finished: datetime


def finish(mail: Claimed, token: str, outcome: AttemptOutcome, error: str | None, started: datetime,
           transport: str) -> bool:
    """Record one attempt and its outcome, releasing the claim, and commit; False if the lease was lost."""
    kept = record(token, [Result(mail, outcome, error, started, now())], transport)
    db.session.commit()
    return mail.id in kept


def record(token: str, results: list[Result], transport: str) -> set[int]:
    """Write the outcomes of a batch's tries in a few statements, without committing; return the rows still held.

    A row whose claim was lost (its lease ran out and another sender took it) is left as the
    other sender has it; its attempt is recorded all the same. Each row's values come from its
    own result (``sent_at`` is when the server accepted it), written with one executemany per
    kind of outcome: on PostgreSQL psycopg pipelines them, so a batch costs a few round trips
    instead of two per mail.
    """
    if not results:
        return set()
    table = OutboxMail.__table__
    # Locks the rows on PostgreSQL so the answer holds until the commit; the UPDATE checks the token anyway.
    kept = set(db.session.execute(
        select(OutboxMail.id).where(OutboxMail.id.in_([r.mail.id for r in results]), OutboxMail.claim_token == token)
        .with_for_update()
    ).scalars())
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for result in results:
        if result.mail.id not in kept:
            log.warning("outbox mail %s: claim %s was lost before the result was recorded", result.mail.id, token)
            continue
        values = _row_values(result)
        groups.setdefault(tuple(values), []).append(values)
    for params in groups.values():
        db.session.execute(
            update(table).where(table.c.id == bindparam("row_id"), table.c.claim_token == token)
            .values(claimed_until=None, claim_token=None),
            params,
        )
    db.session.execute(insert(MailAttempt.__table__), [  # Core: one executemany, None or not
        {"mail_id": r.mail.id, "number": r.mail.attempts + 1, "started_at": r.started, "finished_at": r.finished,
         "outcome": r.outcome.value, "error": redact_tracking_links(r.error), "transport": transport,
         "worker": WORKER}
        for r in results
    ])
    return kept


def _row_values(result: Result) -> dict[str, Any]:
    """Return what one result changes in its outbox row (keyed by column, plus ``row_id``)."""
    mail, attempts = result.mail, result.mail.attempts + 1
    values: dict[str, Any] = {"row_id": mail.id, "attempts": attempts, "last_attempt_at": result.finished}
    if result.outcome is AttemptOutcome.SENT:
        values.update(status=MailStatus.SENT.value, sent_at=result.finished)
    elif result.outcome is AttemptOutcome.FAILED:
        values.update(status=MailStatus.FAILED.value, last_error=redact_tracking_links(result.error))
    else:
        values.update(last_error=redact_tracking_links(result.error),
                      next_attempt_at=result.finished + backoff(attempts))
    if result.outcome is not AttemptOutcome.RETRY:
        # Sent or given up: the stored copy keeps no working tracking link (only its hash opens a
        # request). Most mails carry none; rewriting their bodies unchanged would only cost.
        for column, body in (("body_text", mail.body_text), ("body_html", mail.body_html)):
            redacted = redact_tracking_links(body)
            if redacted != body:
                values[column] = redacted
    return values


def renew(token: str, ids: list[int], lease: timedelta) -> bool:
    """Extend this sender's lease on the rows it still holds (the heartbeat); False if any was lost."""
    if not ids:
        return True
    kept = rowcount(db.session.execute(
        update(OutboxMail).where(OutboxMail.id.in_(ids), OutboxMail.claim_token == token)
        .values(claimed_until=now() + lease).execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return kept == len(ids)


def release(token: str, ids: list[int]) -> None:
    """Give back claimed rows that were not tried (stopping, or the lease is getting old)."""
    if ids:
        db.session.execute(
            update(OutboxMail).where(OutboxMail.id.in_(ids), OutboxMail.claim_token == token)
            .values(claimed_until=None, claim_token=None).execution_options(synchronize_session=False)
        )
    db.session.commit()


@dataclass
class SendStats:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: bool = False


def send_pending(*, stop: threading.Event | None = None, transport: Transport | None = None,
                 max_batches: int | None = None) -> SendStats:
    """Deliver every due outbox row, batch by batch, until none is left (or asked to stop).

    Each batch's results are kept in memory and written when it ends, in the transaction that
    claims the next batch: one commit a batch (the heartbeat and a stop write and commit what
    is known so far too). An unexpected error still records and commits the results known
    before it.
    """
    stats = SendStats()
    transport = transport or make_transport()
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "Spokes <no-reply@spokes.local>"
    limit = _int("MAIL_BATCH_SIZE", 50)
    lease = timedelta(seconds=_int("MAIL_CLAIM_SECONDS", 60))
    batches, token = 0, ""
    results: list[Result] = []  # tried, not yet written
    try:
        while not (stop and stop.is_set()) and (max_batches is None or batches < max_batches):
            _record_batch(token, results, transport, stats)  # committed by the claim below
            token, rows = claim(limit, lease)
            if not rows:
                break
            batches += 1
            if not _send_batch(rows, token, lease, transport, sender, stats, stop, results):
                break
        _record_batch(token, results, transport, stats)
        db.session.commit()
    except BaseException:
        _commit_recorded(token, results, transport)
        raise
    finally:
        transport.close()
    return stats


def _record_batch(token: str, results: list[Result], transport: Transport, stats: SendStats | None = None) -> None:
    """Make the delivered mails durable on the transport's side, then write the results (uncommitted) and forget them.

    The .eml folder is synced once here rather than after every file; if that fails, the
    mails it holds are not known to be kept, so they are retried (same file names: no copies).
    """
    flush = getattr(transport, "flush", None)
    if flush is not None and any(r.outcome is AttemptOutcome.SENT for r in results):
        try:
            flush()
        except DeliveryError as err:
            log.warning("outbox: %s; the batch's mails will be delivered again", err)
            unsure = sum(r.outcome is AttemptOutcome.SENT for r in results)
            results[:] = [Result(r.mail, AttemptOutcome.RETRY, str(err)[:2000], r.started, r.finished)
                          if r.outcome is AttemptOutcome.SENT else r for r in results]
            if stats is not None:
                stats.sent -= unsure
                stats.retried += unsure
    record(token, results, transport.name)
    results.clear()


def _commit_recorded(token: str, results: list[Result], transport: Transport) -> None:
    """Record and commit the results known so far (an unexpected error is on its way up); never mask it."""
    try:
        _record_batch(token, results, transport)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the original error matters more; the leases will run out
        log.exception("outbox: could not record the batch's results")
        db.session.rollback()


def _send_batch(rows: list[Claimed], token: str, lease: timedelta, transport: Transport, sender: str,
                stats: SendStats, stop: threading.Event | None, results: list[Result]) -> bool:
    """Try each claimed row, adding each outcome to ``results``; return False when the run must stop.

    The caller writes ``results`` (with the next claim, or when it stops), so it can still
    record them if an unexpected error interrupts the batch; the heartbeat and a stop write
    and commit them here.
    """
    max_attempts = _int("MAIL_MAX_ATTEMPTS", 12)
    claimed_at, claimed_clock = _time.monotonic(), now()
    threads = thread_headers_for([(m.request_id, m.id) for m in rows if m.request_id is not None])
    rows = [replace(m, thread=threads[m.id]) if m.id in threads else m for m in rows]
    for index, mail in enumerate(rows):
        if stop and stop.is_set():
            _record_batch(token, results, transport, stats)
            release(token, [m.id for m in rows[index:]])
            return False
        # The heartbeat: a send starts with at least three quarters of the lease ahead of
        # it, so it ends (2 × MAIL_TIMEOUT at worst) before anyone else may take the row,
        # while a killed sender's rows come free one lease (a minute) after its last beat.
        # Renewing records and commits the results known so far.
        if max(_time.monotonic() - claimed_at, (now() - claimed_clock).total_seconds()) > lease.total_seconds() / 4:
            _record_batch(token, results, transport, stats)
            if not renew(token, [m.id for m in rows[index:]], lease):
                log.warning("outbox: lease of claim %s lost; leaving the rest of the batch", token)
                release(token, [m.id for m in rows[index:]])
                return True
            claimed_at, claimed_clock = _time.monotonic(), now()
        started = now()
        try:
            message = build_message(mail, sender)
        except (ValueError, TypeError, UnicodeError) as err:  # e.g. a line break in an address
            results.append(Result(mail, AttemptOutcome.FAILED, f"cannot build the message: {err!r}"[:2000], started,
                                  now()))
            stats.failed += 1
            log.error("outbox mail %s cannot be built: %s", mail.id, err)
            continue
        try:
            transport.send(mail, message)
        except DeliveryError as err:
            final = err.permanent or mail.attempts + 1 >= max_attempts
            results.append(Result(mail, AttemptOutcome.FAILED if final else AttemptOutcome.RETRY, str(err)[:2000],
                                  started, now()))
            if final:
                stats.failed += 1
                log.error("outbox mail %s to %s failed for good after %d attempts: %s",
                          mail.id, mail.to_address, mail.attempts + 1, err)
            else:
                stats.retried += 1
                log.warning("outbox mail %s: attempt %d failed, will retry: %s", mail.id, mail.attempts + 1, err)
            if err.connection:
                # The server is unreachable: the rest of the batch shares this attempt and its backoff.
                for other in rows[index + 1:]:
                    final = other.attempts + 1 >= max_attempts
                    results.append(Result(other, AttemptOutcome.FAILED if final else AttemptOutcome.RETRY,
                                          str(err)[:2000], started, now()))
                    stats.failed += int(final)
                    stats.retried += int(not final)
                stats.unreachable = True
                return False
            continue
        results.append(Result(mail, AttemptOutcome.SENT, None, started, now()))
        stats.sent += 1
    return True


def resend(ids: list[int] | None = None, *, all_failed: bool = False) -> int:
    """Put failed rows (these ids, or all of them) back in the queue for a fresh series of attempts; flush only."""
    stmt = update(OutboxMail).where(OutboxMail.status == MailStatus.FAILED.value)
    if ids:
        stmt = stmt.where(OutboxMail.id.in_(ids))
    elif not all_failed:
        return 0
    result = db.session.execute(
        stmt.values(status=MailStatus.PENDING.value, attempts=0, next_attempt_at=now(), claimed_until=None,
                    claim_token=None).execution_options(synchronize_session=False)
    )
    return rowcount(result)


def make_due(ids: list[int] | None = None) -> int:
    """Make pending rows (these ids, or all) due now, ending their backoff; failed ids are queued again.

    For after an outage: the mails waiting out their backoff go at the next send. A row a
    live sender has claimed keeps its claim, so it is never sent twice. Flushes only.
    """
    requeued = resend(ids) if ids else 0
    stmt = update(OutboxMail).where(OutboxMail.status == MailStatus.PENDING.value, OutboxMail.next_attempt_at > now())
    if ids:
        stmt = stmt.where(OutboxMail.id.in_(ids))
    result = db.session.execute(stmt.values(next_attempt_at=now()).execution_options(synchronize_session=False))
    return requeued + rowcount(result)
