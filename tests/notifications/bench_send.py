"""Measure how many mails per minute the sender delivers to a local SMTP server. Not part of the test suite.

Queues N mails (a realistic Vietnamese subject, a text and an HTML body of a few KB) in a
throwaway database, starts aiosmtpd on localhost, and times ``send_pending`` until the outbox
is empty. Also times the .eml fallback for comparison.

    .venv/bin/python tests/notifications/bench_send.py --mails 500
    .venv/bin/python tests/notifications/bench_send.py --mails 500 --database postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TEXT = ("Yêu cầu AM-DHU-2026-00042 sắp đến hạn trả lời: còn 1 ngày làm việc, hạn 15/02/2027 23:59. "
        "Tiến độ nạo vét kênh Xẻo Nhàu và kinh phí thực hiện năm 2026.\n") * 20


class Counter:
    """An aiosmtpd handler that only counts."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def queue(n: int) -> None:
    """Queue n mails."""
    from spokes.extensions import db
    from spokes.notifications.content import Mail
    from spokes.notifications.services import queue_mail

    for i in range(n):
        queue_mail(f"canbo{i}@kiengiang.gov.vn",
                   Mail(f"[AM-DHU-2026-{i:05d}] Sắp đến hạn trả lời: Tiến độ nạo vét kênh Xẻo Nhàu", TEXT,
                        "<p>" + TEXT.replace("\n", "<br>") + "</p>", "vi"), kind="bench")
    db.session.commit()


def main() -> None:
    """Queue, send, print mails per minute."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="spokes-send-")
    os.environ["SPOKES_INSTANCE_PATH"] = workdir
    from aiosmtpd.controller import Controller

    from spokes import create_app
    from spokes.core.db import write_intent
    from spokes.extensions import db
    from spokes.notifications import sender

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    url = args.database or "sqlite:///" + os.path.join(workdir, "send.sqlite")
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_FILE_DIR": os.path.join(workdir, "mail")})
    write_intent.set(True)
    with app.app_context():
        db.drop_all()
        db.create_all()
        queue(args.mails)
        started = time.perf_counter()
        stats = sender.send_pending()
        elapsed = time.perf_counter() - started
        print(f"SMTP: {stats.sent} mails in {elapsed:.2f}s = {stats.sent / elapsed * 60:.0f} mails/minute "
              f"({db.engine.dialect.name}; server received {handler.count})")
        app.config["MAIL_SERVER"] = None
        queue(args.mails)
        started = time.perf_counter()
        stats = sender.send_pending()
        elapsed = time.perf_counter() - started
        print(f".eml: {stats.sent} mails in {elapsed:.2f}s = {stats.sent / elapsed * 60:.0f} mails/minute")
        db.session.remove()
        db.engine.dispose()
    controller.stop()


if __name__ == "__main__":
    main()
