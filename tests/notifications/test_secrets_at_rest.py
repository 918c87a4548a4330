"""Issue 17, item 8: tracking links at rest: outbox, mail files, access logs; file modes; base URL."""

from __future__ import annotations

import io
import logging
import os
import stat

import pytest
from sqlalchemy import select

from spokes import create_app
from spokes.core.redact import TrackingLinkFilter, install
from spokes.extensions import db
from spokes.notifications import sender
from spokes.notifications.models import MailAttempt, OutboxMail
from spokes.notifications.services import queue_mail
from spokes.notifications.content import Mail

from .conftest import use_smtp, vn

T0 = vn(2026, 12, 3, 9, 0)
TOKEN = "Zq3hT0kenAbcdefghijklmnopqrstu"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_failed_mail_keeps_no_working_tracking_link(app, smtp_server, frozen_clock):
    frozen_clock(T0)
    use_smtp(app, smtp_server)
    smtp_server.handler.refuse = {"pv@baochi.vn"}
    queue_mail("pv@baochi.vn", Mail("[AM-DHU-2026-00001] Đã tiếp nhận", f"Theo dõi: https://x.vn/track/{TOKEN}",
                                    f'<a href="https://x.vn/track/{TOKEN}">x</a>', "vi"), kind="journalist.received")
    db.session.commit()
    assert sender.send_pending().failed == 1
    db.session.expire_all()
    row = db.session.execute(select(OutboxMail)).scalar_one()
    attempt = db.session.execute(select(MailAttempt)).scalar_one()
    assert row.status == "failed"
    for value in (row.body_text, row.body_html, row.last_error, attempt.error):
        assert TOKEN not in (value or "")
    assert "/track/…" in row.body_text


def test_mail_files_are_owner_only(app, tmp_path, frozen_clock):
    frozen_clock(T0)
    app.config.update(MAIL_SERVER=None, MAIL_FILE_DIR=str(tmp_path / "mail"))
    queue_mail("pv@baochi.vn", Mail("Thư", f"/track/{TOKEN}", "", "vi"), kind="test")
    db.session.commit()
    assert sender.send_pending().sent == 1
    (eml,) = (tmp_path / "mail").iterdir()
    assert _mode(eml) == 0o600


def test_uploads_are_not_world_readable(app, tmp_path):
    from spokes.attachments import store as attachments

    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    stored = attachments.store(io.BytesIO(pdf), "a.pdf", max_bytes=10_000, allowed=attachments.STAFF_KINDS,
                               purpose="evidence")
    path = attachments.upload_root() / stored.storage_name
    assert _mode(path) & 0o007 == 0 and _mode(path) & 0o600 == 0o600


def test_the_sqlite_database_file_is_owner_only(tmp_path):
    path = tmp_path / "spokes.sqlite"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with application.app_context():
        db.session.execute(select(1))
        db.session.remove()
        db.engine.dispose()
    assert _mode(path) == 0o600


def test_access_logs_show_tracking_links_redacted():
    install()
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        handler = Keep()
        logger.addHandler(handler)
        old_level = logger.level
        logger.setLevel(logging.INFO)
        try:
            logger.info('%s - - "%s" %s', "203.0.113.5", f"GET /track/{TOKEN}?x=1 HTTP/1.1", 200)
            logger.info('%s - - "%s" %s', "203.0.113.5", "GET /track HTTP/1.1", 200)
            logger.info('"%s"', f"GET /api/v1/requests/AM-DHU-2026-00001?token={TOKEN} HTTP/1.1")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old_level)
    assert len(records) == 6 and not any(TOKEN in r for r in records)
    assert "?token=… HTTP/1.1" in records[2]
    assert '"GET /track/…?x=1 HTTP/1.1"' in records[0] and "GET /track HTTP/1.1" in records[1]
    assert any(isinstance(f, TrackingLinkFilter) for f in logging.getLogger("werkzeug").filters)


def test_production_requires_an_absolute_public_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "/spokes"})


def test_absolute_links_never_come_from_the_host_header(other_app):
    application = other_app(PUBLIC_BASE_URL="https://spokes.kiengiang.gov.vn")
    client = application.test_client()
    for url in ("/feed.atom", "/feed.rss", "/api/v1/items", "/api/v1/units"):
        body = client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body, url
