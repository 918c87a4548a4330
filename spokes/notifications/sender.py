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
2. **Deliver** each claimed row (one SMTP connection per batch, reused).
3. **Finish** (one transaction per batch): ``UPDATE … SET status = 'sent' … WHERE id = :id
   AND claim_token = :token`` releases the claim and marks the row sent, and an
   ``outbox_attempts`` row records the try; the batch's results are committed together when it
   ends (or before the lease is renewed, or the sender stops), so a batch costs one commit. A failure instead sets ``last_error``, counts the
   attempt and schedules the next one with exponential backoff (``MAIL_RETRY_BASE_SECONDS`` ×
   2^(attempts − 1), at most ``MAIL_RETRY_MAX_SECONDS``); after ``MAIL_MAX_ATTEMPTS`` tries, or
   at once on a permanent (5xx) refusal, the row becomes ``failed`` and stays for
   ``flask --app spokes outbox-resend``. When the server cannot be reached at all, every row of
   the batch gets that failed attempt and backoff, and this run stops sending.

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
"250 accepted" and the commit of ``sent`` at the end of its batch (``MAIL_BATCH_SIZE`` rows, a
fraction of a second): the lease then expires and those rows are delivered again. A failed
delivery is not such a death: the rows sent before it stay sent, the failed one is retried. Every try carries the same stored ``Message-ID`` header, so mail
systems and readers can recognise the copy. SMTP itself offers no more: the "250" can be lost
on the wire after the server took the message. The ``.eml`` fallback has no such window: the file
name is fixed per row, so a second delivery overwrites the same file.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import socket
import ssl
import threading
import time as _time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from flask import current_app
from sqlalchemy import or_, select, update

from spokes.core.clock import now
from spokes.core.db import rowcount
from spokes.extensions import db
from spokes.notifications.content import redact_tracking_links
from spokes.notifications.models import AttemptOutcome, MailAttempt, MailStatus, OutboxAttachment, OutboxMail
from spokes.mailin.services import thread_headers

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
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {err!r}", connection=True) from err
        return smtp

    def send(self, mail: Claimed, message: bytes) -> None:
        """Send one message; reconnect once if the server dropped a reused connection."""
        for retry in (False, True):
            if self._smtp is None:
                self._smtp = self._connect()
            try:
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


class FileTransport:
    """Write each mail as an .eml file (no SMTP configured: the offline demo), atomically."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @staticmethod
    def file_name(mail: Claimed) -> str:
        """Return the fixed file name of a row: a second delivery overwrites, never duplicates."""
        return f"{mail.created_at:%Y%m%d-%H%M%S}-{mail.id:08d}.eml"

    def send(self, mail: Claimed, message: bytes) -> None:
        """Write the message to a temporary file, flush it to disk, then rename it into place."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / self.file_name(mail)
            temporary = self.directory / f".{target.name}.{uuid.uuid4().hex}.tmp"
            # 0600: a mail may carry a tracking link, which opens a journalist's request.
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                fh.write(message)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except OSError as err:
            raise DeliveryError(f"cannot write {self.directory}: {err!r}", connection=True) from err

    def close(self) -> None:
        """Nothing to release."""


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
        ("Subject", subject if subject.isascii() else Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")),
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
        in_reply_to, references, reply_to = thread_headers(mail.request_id, mail.id)
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


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


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


def _address(value: str) -> str:
    """Return an address header, its display name encoded when it is not ASCII; refuse line breaks."""
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


def finish(mail: Claimed, token: str, outcome: AttemptOutcome, error: str | None, started: datetime,
           transport: str, *, commit: bool = True) -> bool:
    """Record one attempt and its outcome, releasing the claim; False if the lease was lost.

    ``commit=False`` leaves the commit to the caller (the sender commits a batch's results together).
    """
    moment = now()
    attempts = mail.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": moment, "claimed_until": None,
                              "claim_token": None}
    if outcome is AttemptOutcome.SENT:
        # Once delivered, the stored copy keeps no working tracking link (only its hash opens a request).
        values.update(status=MailStatus.SENT.value, sent_at=moment, body_text=redact_tracking_links(mail.body_text),
                      body_html=redact_tracking_links(mail.body_html))
    elif outcome is AttemptOutcome.FAILED:
        # Given up: no one will send it, so no one needs the link; the admin sees the rest.
        values.update(status=MailStatus.FAILED.value, last_error=redact_tracking_links(error),
                      body_text=redact_tracking_links(mail.body_text), body_html=redact_tracking_links(mail.body_html))
    else:
        values.update(last_error=redact_tracking_links(error), next_attempt_at=moment + backoff(attempts))
    kept = rowcount(db.session.execute(
        update(OutboxMail).where(OutboxMail.id == mail.id, OutboxMail.claim_token == token).values(**values)
        .execution_options(synchronize_session=False)
    ))
    db.session.add(MailAttempt(mail_id=mail.id, number=attempts, started_at=started, finished_at=moment,
                               outcome=outcome.value, error=redact_tracking_links(error), transport=transport,
                               worker=WORKER))
    if commit:
        db.session.commit()
    if not kept:
        log.warning("outbox mail %s: claim %s was lost before the result was recorded", mail.id, token)
    return bool(kept)


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

    Each batch's results are committed together when it ends (the heartbeat and a stop commit
    what is recorded so far too); an unexpected error still commits the results recorded before it.
    """
    stats = SendStats()
    transport = transport or make_transport()
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "Spokes <no-reply@spokes.local>"
    limit = _int("MAIL_BATCH_SIZE", 50)
    lease = timedelta(seconds=_int("MAIL_CLAIM_SECONDS", 60))
    batches = 0
    try:
        while not (stop and stop.is_set()) and (max_batches is None or batches < max_batches):
            token, rows = claim(limit, lease)
            if not rows:
                break
            batches += 1
            try:
                done = _send_batch(rows, token, lease, transport, sender, stats, stop)
            except BaseException:
                _commit_recorded()
                raise
            db.session.commit()
            if not done:
                break
    finally:
        transport.close()
    return stats


def _commit_recorded() -> None:
    """Commit the results recorded so far (an unexpected error is on its way up); never mask it."""
    try:
        db.session.commit()
    except Exception:  # noqa: BLE001 - the original error matters more; the leases will run out
        log.exception("outbox: could not record the batch's results")
        db.session.rollback()


def _send_batch(rows: list[Claimed], token: str, lease: timedelta, transport: Transport, sender: str,
                stats: SendStats, stop: threading.Event | None) -> bool:
    """Try each claimed row, recording each result uncommitted; return False when the run must stop."""
    max_attempts = _int("MAIL_MAX_ATTEMPTS", 12)
    claimed_at, claimed_clock = _time.monotonic(), now()
    for index, mail in enumerate(rows):
        if stop and stop.is_set():
            release(token, [m.id for m in rows[index:]])
            return False
        # The heartbeat: a send starts with at least three quarters of the lease ahead of
        # it, so it ends (2 × MAIL_TIMEOUT at worst) before anyone else may take the row,
        # while a killed sender's rows come free one lease (a minute) after its last beat.
        # Renewing commits the results recorded so far.
        if max(_time.monotonic() - claimed_at, (now() - claimed_clock).total_seconds()) > lease.total_seconds() / 4:
            if not renew(token, [m.id for m in rows[index:]], lease):
                log.warning("outbox: lease of claim %s lost; leaving the rest of the batch", token)
                release(token, [m.id for m in rows[index:]])
                return True
            claimed_at, claimed_clock = _time.monotonic(), now()
        started = now()
        try:
            message = build_message(mail, sender)
        except (ValueError, TypeError, UnicodeError) as err:  # e.g. a line break in an address
            finish(mail, token, AttemptOutcome.FAILED, f"cannot build the message: {err!r}"[:2000], started,
                   transport.name, commit=False)
            stats.failed += 1
            log.error("outbox mail %s cannot be built: %s", mail.id, err)
            continue
        try:
            transport.send(mail, message)
        except DeliveryError as err:
            final = err.permanent or mail.attempts + 1 >= max_attempts
            finish(mail, token, AttemptOutcome.FAILED if final else AttemptOutcome.RETRY, str(err)[:2000], started,
                   transport.name, commit=False)
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
                    finish(other, token, AttemptOutcome.FAILED if final else AttemptOutcome.RETRY,
                           str(err)[:2000], started, transport.name, commit=False)
                    stats.failed += int(final)
                    stats.retried += int(not final)
                stats.unreachable = True
                return False
            continue
        finish(mail, token, AttemptOutcome.SENT, None, started, transport.name, commit=False)
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
