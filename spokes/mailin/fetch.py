"""Fetch every configured mailbox once: job code, like the outbox sender; it owns its transactions.

For each mailbox:

1. **Claim** it (one short transaction): ``UPDATE mailin_mailboxes SET claim_token, claimed_until
   = now + MAIL_IN_CLAIM_SECONDS WHERE id = :id AND the lease is free``; on PostgreSQL the row is
   first taken with ``SELECT … FOR UPDATE SKIP LOCKED``, so a second server skips it at once; on
   SQLite the transaction starts with ``BEGIN IMMEDIATE``, which serialises claims. Only the
   fetcher whose UPDATE changed the row goes on: one fetcher per mailbox, however many servers.
2. **Read** new messages over TLS: the UIDs above the last one filed, for the folder's
   UIDVALIDITY (when it changes, every message not yet flagged by Spokes is read again; Message-IDs
   already filed are recognised as duplicates).
3. **File** each message in its own transaction, which also records the UID as the last one seen
   and renews the lease, guarded by the claim token: a fetcher that lost its lease files nothing
   more. The row of a message is unique per (mailbox, UIDVALIDITY, UID), so even two fetchers
   that somehow both held a mailbox could not file a message twice.
4. **Mark** it on the server after the commit: moved to ``processed_folder`` when one is set,
   else flagged with the keyword ``$SpokesFiled`` (or ``\\Seen`` when the server allows no
   keywords). A quarantined message stays in the folder, flagged.
"""

from __future__ import annotations

import logging
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from spokes.core.clock import now
from spokes.core.db import rowcount, write_intent
from spokes.extensions import db
from spokes.mailin import services
from spokes.mailin.config import MailboxConfig, MailboxConfigError, mailbox_configs
from spokes.mailin.models import InboundMail, InboundOutcome, Mailbox
from spokes.units.models import Unit

log = logging.getLogger(__name__)

KEYWORD = "$SpokesFiled"
BATCH = 20


@dataclass
class FetchStats:
    """What one run of ``mail-fetch`` did."""

    mailboxes: int = 0
    busy: int = 0  # held by another fetcher
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        """Count one filed message."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def messages(self) -> int:
        """Return how many messages were filed."""
        return sum(self.outcomes.values())

    def summary(self) -> str:
        """Return the one-line summary printed by the command."""
        line = (f"mail-fetch: {self.mailboxes} mailboxes ({self.busy} busy elsewhere), {self.messages} messages"
                + (" (" + ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) + ")" if self.outcomes else ""))
        if self.errors:
            line += "; ERRORS: " + "; ".join(self.errors)
        return line


def _lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("MAIL_IN_CLAIM_SECONDS") or 120))


def claim(box_id: int) -> str | None:
    """Take the mailbox's lease and commit; return the claim token, or None when another fetcher holds it."""
    moment = now()
    free = or_(Mailbox.claimed_until.is_(None), Mailbox.claimed_until < moment)
    if db.session.execute(select(Mailbox.id).where(Mailbox.id == box_id, free)
                          .with_for_update(skip_locked=True)).first() is None:
        db.session.rollback()
        return None
    token = uuid.uuid4().hex
    taken = rowcount(db.session.execute(
        update(Mailbox).where(Mailbox.id == box_id, free).values(claim_token=token, claimed_until=moment + _lease())
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return token if taken == 1 else None


def release(box_id: int, token: str, error: str | None = None) -> None:
    """Give the lease back (and note the last error, or clear it) and commit."""
    db.session.rollback()
    db.session.execute(
        update(Mailbox).where(Mailbox.id == box_id, Mailbox.claim_token == token)
        .values(claim_token=None, claimed_until=None, last_error=error, last_fetch_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def connect(config: MailboxConfig) -> Any:
    """Open a logged-in IMAP connection over TLS (certificates checked), times as aware datetimes."""
    from imapclient import IMAPClient

    context = ssl.create_default_context(cafile=config.ca_file)
    if config.starttls:
        client = IMAPClient(config.host, port=config.port, ssl=False, timeout=config.timeout)
        client.starttls(context)
    else:
        client = IMAPClient(config.host, port=config.port, ssl=True, ssl_context=context, timeout=config.timeout)
    client.normalise_times = False
    client.login(config.username, config.password)
    return client


def _progress(box_id: int, token: str, **values: Any) -> bool:
    """Record progress and renew the lease, in the caller's transaction; False if the lease was lost."""
    return bool(rowcount(db.session.execute(
        update(Mailbox).where(Mailbox.id == box_id, Mailbox.claim_token == token)
        .values(claimed_until=now() + _lease(), **values).execution_options(synchronize_session=False)
    )))


def _mark(client: Any, config: MailboxConfig, uid: int, outcome: str, keywords: bool) -> None:
    """Move a filed message to the processed folder, or flag it (quarantined ones stay, flagged)."""
    try:
        if config.processed_folder and outcome != InboundOutcome.QUARANTINED.value:
            try:
                client.move([uid], config.processed_folder)
                return
            except Exception:  # noqa: BLE001 - e.g. no MOVE support: flag it instead
                log.warning("mailbox %s: could not move uid %s; flagging it", config.unit_code, uid, exc_info=True)
        client.add_flags([uid], [KEYWORD if keywords else "\\Seen"])
    except Exception:  # noqa: BLE001 - the UID is recorded: a failed flag never files the message twice
        log.warning("mailbox %s: could not mark uid %s as processed", config.unit_code, uid, exc_info=True)


def _file(box_id: int, unit_id: int, token: str, uidvalidity: int, uid: int, received_at: datetime, size: int,
          raw: bytes | None, too_large: bool) -> str | None:
    """File one message and commit; return its outcome, or None if another fetcher had it or the lease was lost."""
    box = db.session.get(Mailbox, box_id)
    unit = db.session.get(Unit, unit_id)
    try:
        row = services.file_message(box, unit, uidvalidity=uidvalidity, uid=uid,  # type: ignore[arg-type]
                                    received_at=received_at, size=size, raw=raw, too_large=too_large)
        outcome = row.outcome
        if not _progress(box_id, token, last_uid=uid, uidvalidity=uidvalidity, last_fetch_at=now()):
            db.session.rollback()
            log.warning("mailbox of unit %s: lease lost before uid %s was filed", unit_id, uid)
            return None
        db.session.commit()
        return outcome
    except IntegrityError:
        db.session.rollback()
        log.info("mailbox of unit %s: uid %s was filed by another fetcher", unit_id, uid)
        return None
    except Exception as err:  # noqa: BLE001 - one broken message must neither stop the mailbox nor be lost
        db.session.rollback()
        log.exception("mailbox of unit %s: uid %s could not be filed; quarantined", unit_id, uid)
        db.session.add(InboundMail(mailbox_id=box_id, unit_id=unit_id, uidvalidity=uidvalidity, uid=uid,
                                   received_at=min(received_at, now()), size_bytes=size, raw=raw,
                                   outcome=InboundOutcome.QUARANTINED.value, skipped_attachments=[],
                                   reason=f"error while filing: {type(err).__name__}: {err}"[:2000]))
        if not _progress(box_id, token, last_uid=uid, uidvalidity=uidvalidity):
            db.session.rollback()
            return None
        db.session.commit()
        return InboundOutcome.QUARANTINED.value


def fetch_mailbox(config: MailboxConfig, box_id: int, unit_id: int, token: str, stats: FetchStats,
                  stop: threading.Event | None = None) -> None:
    """Read and file the new messages of one claimed mailbox."""
    max_bytes = int(current_app.config.get("MAIL_IN_MAX_MESSAGE_BYTES") or 30 * 1024 * 1024)
    client = connect(config)
    try:
        if config.processed_folder and not client.folder_exists(config.processed_folder):
            client.create_folder(config.processed_folder)
        info = client.select_folder(config.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        keywords = b"\\*" in (info.get(b"PERMANENTFLAGS") or ())
        box = db.session.execute(select(Mailbox).where(Mailbox.id == box_id)
                                 .execution_options(populate_existing=True)).scalar_one()
        last = int(box.last_uid or 0) if box.uidvalidity == uidvalidity else 0
        if box.uidvalidity not in (None, uidvalidity):
            log.warning("mailbox %s: UIDVALIDITY changed (%s → %s); rereading unflagged messages",
                        config.unit_code, box.uidvalidity, uidvalidity)
        db.session.rollback()
        criteria: list[Any] = ["UID", f"{last + 1}:*"]
        if keywords:
            criteria += ["UNKEYWORD", KEYWORD]
        uids = sorted(u for u in client.search(criteria) if u > last)  # "n:*" always yields the last message
        for start in range(0, len(uids), BATCH):
            chunk = uids[start:start + BATCH]
            meta = client.fetch(chunk, ["INTERNALDATE", "RFC822.SIZE"])
            for uid in chunk:
                if stop is not None and stop.is_set():
                    return
                facts = meta.get(uid)
                if facts is None:  # expunged meanwhile
                    continue
                size = int(facts.get(b"RFC822.SIZE") or 0)
                internal = facts.get(b"INTERNALDATE")
                received_at = internal.astimezone(UTC) if isinstance(internal, datetime) and internal.tzinfo else now()
                too_large = size > max_bytes
                part = b"BODY[HEADER]" if too_large else b"BODY[]"
                fetched = client.fetch([uid], [b"BODY.PEEK[HEADER]" if too_large else b"BODY.PEEK[]"]).get(uid, {})
                raw = fetched.get(part)
                outcome = _file(box_id, unit_id, token, uidvalidity, uid, received_at, size, raw, too_large)
                if outcome is None:
                    if not _still_held(box_id, token):
                        stats.errors.append(f"{config.unit_code}: lease lost")
                        return
                    continue
                stats.count(outcome)
                _mark(client, config, uid, outcome, keywords)
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass


def _still_held(box_id: int, token: str) -> bool:
    held = db.session.execute(select(Mailbox.id).where(Mailbox.id == box_id, Mailbox.claim_token == token)).first()
    db.session.rollback()
    return held is not None


def fetch_all(*, stop: threading.Event | None = None) -> FetchStats:
    """Poll every configured mailbox once; a mailbox another fetcher holds is skipped."""
    stats = FetchStats()
    intent = write_intent.set(True)  # job transactions write: SQLite takes its lock up front
    try:
        try:
            configs = mailbox_configs()
        except MailboxConfigError as err:
            stats.errors.append(str(err))
            log.error("mail-fetch: %s", err)
            return stats
        for config in configs:
            if stop is not None and stop.is_set():
                break
            unit = db.session.execute(select(Unit).where(Unit.code == config.unit_code)).scalar_one_or_none()
            if unit is None:
                stats.errors.append(f"{config.unit_code}: no such unit")
                continue
            box_id, unit_id = services.mailbox_for(unit).id, unit.id
            db.session.commit()
            stats.mailboxes += 1
            token = claim(box_id)
            if token is None:
                stats.busy += 1
                continue
            error = None
            try:
                fetch_mailbox(config, box_id, unit_id, token, stats, stop)
            except Exception as err:  # noqa: BLE001 - IMAP, TLS or network trouble: the next run tries again
                error = f"{type(err).__name__}: {err}"[:2000]
                stats.errors.append(f"{config.unit_code}: {error}")
                log.error("mail-fetch %s: %s", config.unit_code, error)
            finally:
                release(box_id, token, error)
    finally:
        write_intent.reset(intent)
    return stats
