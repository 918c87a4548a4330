"""Operations (issue 18, point 4): logs with request ids, retrying the outbox now, short
leases that a killed sender gives up in about a minute, and a health check by part."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from spokes.extensions import db
from spokes.notifications import sender
from spokes.notifications.content import Mail
from spokes.notifications.models import MailAttempt, OutboxMail
from spokes.notifications.services import queue_mail

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _queue(n: int) -> list[int]:
    rows = [queue_mail(f"pv{i}@baochi.vn", Mail(f"Thư số {i}", f"Nội dung {i}", "", "vi"), kind="test")
            for i in range(n)]
    db.session.commit()
    return [r.id for r in rows]


def _rows() -> list[OutboxMail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())


@pytest.fixture()
def mail_folder(app, tmp_path):
    """Send mail to .eml files in a folder of this test's own."""
    app.config.update(MAIL_SERVER=None, MAIL_FILE_DIR=str(tmp_path / "mail"))
    return tmp_path / "mail"


# --------------------------------------------------------------------------- logging


@pytest.fixture()
def json_logging_app(other_app, monkeypatch) -> Iterator:  # type: ignore[type-arg]
    """Return an app logging JSON to stderr, with a view that fails; the handler goes afterwards.

    The root logger is bare for the while, as under gunicorn (pytest's own handlers would make
    the app leave logging alone).
    """
    root = logging.getLogger()
    level = root.level
    monkeypatch.setattr(root, "handlers", [])
    application = other_app(LOG_STDERR=True, LOG_FORMAT="json", PROPAGATE_TEST_ERRORS=False)

    def boom() -> str:
        raise ZeroDivisionError("division by zero in a view")

    application.add_url_rule("/boom", "boom", boom)
    yield application
    for handler in [h for h in root.handlers if getattr(h, "_spokes_handler", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_every_5xx_is_logged_with_its_trace_and_request_id(json_logging_app, capsys):
    client = json_logging_app.test_client()
    response = client.get("/boom", headers={"X-Request-ID": "proxy-abc.123"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "proxy-abc.123"
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    traced = [e for e in entries if "ZeroDivisionError" in e.get("trace", "")]
    assert traced and traced[0]["request_id"] == "proxy-abc.123" and traced[0]["http"] == "GET /boom"
    assert any(e["logger"] == "spokes.http" and "500" in e["message"] for e in entries)

    fresh = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(fresh.headers["X-Request-ID"]) == 32  # a made-up id is not echoed: a fresh one is given


# --------------------------------------------------------------------------- the outbox


def test_retry_now_sends_mails_waiting_out_their_backoff(app, runner, mail_folder, frozen_clock):
    frozen_clock(T0)
    ids = _queue(3)
    db.session.execute(OutboxMail.__table__.update().values(next_attempt_at=T0 + timedelta(hours=2), attempts=4))
    db.session.commit()
    assert sender.send_pending().sent == 0  # an SMTP outage pushed them back two hours

    one = runner.invoke(args=["outbox", "retry-now", "--no-send", str(ids[0])])
    assert one.exit_code == 0, one.output
    assert "1 mails due now" in one.output

    result = runner.invoke(args=["outbox", "retry-now"])
    assert result.exit_code == 0, result.output
    assert "2 mails due now" in result.output and "3 sent" in result.output
    assert [r.status for r in _rows()] == ["sent", "sent", "sent"]
    assert len(list(mail_folder.iterdir())) == 3


def test_a_killed_senders_claims_expire_in_about_a_minute_and_go_out_once(app, mail_folder, frozen_clock):
    frozen_clock(T0)
    _queue(2)
    lease = timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"])
    assert lease == timedelta(seconds=60)
    token, claimed = sender.claim(10, lease)  # a worker claims, then is killed
    assert len(claimed) == 2

    frozen_clock(T0 + timedelta(seconds=59))
    assert sender.send_pending().sent == 0
    frozen_clock(T0 + timedelta(seconds=61))
    assert sender.send_pending().sent == 2
    assert [(r.status, r.attempts) for r in _rows()] == [("sent", 1), ("sent", 1)]
    assert db.session.execute(select(MailAttempt)).scalars().all().__len__() == 2
    assert sender.finish(claimed[0], token, sender.AttemptOutcome.SENT, None, T0, "file") is False


class SlowTransport:
    """Each send takes 20 s of (frozen) time and checks the sender still holds the row's lease."""

    name = "slow"

    def __init__(self, clock) -> None:
        """Remember the clock to move."""
        self.clock = clock
        self.moment = T0
        self.sent: list[int] = []

    def send(self, mail: sender.Claimed, _message: EmailMessage) -> None:
        """Check the lease, then let 20 s pass."""
        claimed_until = db.session.execute(select(OutboxMail.claimed_until).where(OutboxMail.id == mail.id)).scalar_one()
        if claimed_until.tzinfo is None:
            claimed_until = claimed_until.replace(tzinfo=UTC)
        assert claimed_until - self.moment >= timedelta(seconds=40), "a send started on a lease about to run out"
        self.moment += timedelta(seconds=20)
        self.clock(self.moment)
        self.sent.append(mail.id)

    def close(self) -> None:
        """Nothing to release."""


def test_the_heartbeat_keeps_a_long_batch_leased(app, frozen_clock):
    frozen_clock(T0)
    ids = _queue(6)  # two minutes of sending: twice the lease
    transport = SlowTransport(frozen_clock)
    stats = sender.send_pending(transport=transport)
    assert stats.sent == 6 and transport.sent == ids
    assert [(r.status, r.attempts) for r in _rows()] == [("sent", 1)] * 6


# --------------------------------------------------------------------------- /healthz


def test_healthz_names_each_part_and_stays_200_with_an_outbox_backlog(app, client, frozen_clock):
    frozen_clock(T0)
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.get_json() | {} == {"status": "ok", "database": "ok", "redis": "not used", "degraded": [],
                                       "outbox": {"status": "ok", "due": 0, "oldest_due_seconds": 0, "failed": 0}}
    _queue(2)
    frozen_clock(T0 + timedelta(hours=1))  # the mails have waited an hour: no sender is running
    late = client.get("/healthz")
    assert late.status_code == 200
    body = late.get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["outbox"]
    assert body["outbox"]["due"] == 2 and body["outbox"]["oldest_due_seconds"] == 3600
